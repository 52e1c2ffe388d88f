import DigsCore
import ForwardModel
import Foundation
import NeuralFlows

/// The checks that a flow fits the observations and the pipeline it is used with (`digs infer`
/// and its benchmark).
extension InferStage {
    /// Refuses observations the flow was not trained for (another pixel grid, other parameters),
    /// and a flow trained on another prior box than the pipeline's.
    static func checkCompatible(flow: FlowModelFile.Loaded, flowPath: String, source: ObservationSource,
                                model: ModelSettings) throws {
        let trained = flow.wavelength, observed = source.wavelength
        guard ObservationSource.sameGrid(trained, observed) else {
            throw DigsError.invalidProduct(path: source.path, field: "wavelength",
                                           problem: "has \(ObservationSource.describeGrid(observed)); the flow \(flowPath) was trained on \(ObservationSource.describeGrid(trained)) — resample the observations onto the flow's grid or train a flow for theirs")
        }
        // A flow that leaves a parameter to its exact conditional learns the others: the
        // pipeline's parameters but that one, in their order.
        let pipeline = model.parameters
        let analytic = try analyticParameter(of: flow, flowPath: flowPath, prior: pipeline)
        let names = model.parameters.names
        if let truth = source.parameterNames, truth != names {
            throw DigsError.invalidProduct(path: source.path, field: "theta_true parameter_names",
                                           problem: "are \(truth); the pipeline infers \(names)")
        }
        try pipeline.requireSameBox(names: flow.posterior.parameterNames, low: flow.posterior.priorLow, high: flow.posterior.priorHigh,
                                    of: "the flow \(flowPath)", excluding: analytic)
    }

    /// The parameter a flow leaves to its exact conditional (its `analytic_parameter`), typed, or
    /// nil; refused where the pipeline's prior does not allow it (`PriorSet.analyticConditionalProblem`).
    static func analyticParameter(of flow: FlowModelFile.Loaded, flowPath: String, prior: PriorSet) throws -> ModelParameter? {
        guard let name = flow.analyticParameter else { return nil }
        let field = "root attribute '\(FlowModelFile.analyticParameterAttribute)'"
        let parameter = ModelParameter(name)
        guard prior.entries.contains(where: { $0.parameter == parameter }) else {
            throw DigsError.invalidProduct(path: flowPath, field: field, problem: "is '\(name)', not a parameter of this model")
        }
        if let problem = prior.analyticConditionalProblem(parameter) {
            throw DigsError.invalidProduct(path: flowPath, field: field, problem: "\(problem) (the pipeline's model.parameters)")
        }
        return parameter
    }
}

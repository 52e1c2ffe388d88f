import DigsCore
import Foundation
import NeuralFlows
import ProductIO
import Testing

/// Every registered flow family goes through the one interface end to end: the trainer builds
/// and trains its network from the settings alone, the product it writes names the family, and
/// reading it back through the registry gives the same flow.
struct FlowFamilyTests {
    static func settings(_ family: String) -> TrainingSettings {
        var s = TrainingResumeTests.settings()
        s.flow = family
        s.maxEpochs = 40
        s.learningRate = 1e-2
        if family == NeuralSplineFlowFamily.name { s.numBins = 4 }
        return s
    }

    @Test(arguments: FlowFamilies.registered.map { $0.name })
    func eachFamilyTrainsWritesAndReadsThroughTheInterface(_ name: String) throws {
        let (data, standardization, theta, x) = try TrainingResumeTests.problem()
        let settings = Self.settings(name)
        let family = try settings.flowFamily()
        #expect(family.name == name)
        let trainer = try FlowTrainer(family: family, settings: settings, features: 2, context: 3, data: data, seed: 3)
        #expect(trainer.network.parameters.count == family.weightCount(settings, features: 2, context: 3))
        let state = try trainer.train { _, _ in }
        // It learns from x: −log q(θ | x) falls below the prior's −log p(θ) = log 4 (uniform on the 4 × 1 box).
        #expect(state.bestValidationLoss < log(4.0) - 0.5, "best validation loss \(state.bestValidationLoss)")
        let flow = try trainer.network.trained(parameters: state.bestParameters, standardization: standardization,
                                               parameterNames: ["a", "b"], contextLayout: .flux)
        #expect(flow.family == name)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("digs-family-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("flow.h5").path
        try FlowModelFile.write(flow, state: state, settings: settings, path: path, seed: 3, config: "{}",
                                inputs: [], parameterUnits: ["", ""], wavelength: [1, 2, 3], overwrite: false)
        let loaded = try FlowModelFile.read(path: path)
        #expect(loaded.posterior.family == name)
        #expect(loaded.posterior.trainable.shapeDescription == trainer.network.shapeDescription)
        #expect(loaded.state?.parameters == state.parameters)
        let t = try NDArray(shape: [20, 2], data: theta), xs = try NDArray(shape: [20, 3], data: x)
        #expect(try loaded.posterior.logProb(theta: t, x: xs) == flow.logProb(theta: t, x: xs))
    }

    /// The MAF's weight count in closed form: per transform H(D + C) + 2H² + 2D(H + 1) + 4H
    /// (context, input, two hidden and output layers, each with its biases).
    @Test func theMAFWeightCountIsTheClosedForm() {
        var s = TrainingSettings()
        s.hiddenFeatures = 7
        s.numTransforms = 3
        let (d, c, h, t) = (4, 11, 7, 3)
        #expect(MaskedAutoregressiveFlowFamily.weightCount(s, features: d, context: c)
                == t * (h * (d + c) + 2 * h * h + 2 * d * (h + 1) + 4 * h))
        // The spline's MADE gives 3K − 1 values per parameter instead of 2.
        s.numBins = 5
        #expect(NeuralSplineFlowFamily.weightCount(s, features: d, context: c)
                == t * (h * (d + c) + 2 * h * h + 14 * d * (h + 1) + 4 * h))
    }

    @Test func anUnknownFamilyAndAnotherFamilysSettingsAreRefusedByName() {
        var s = TrainingSettings()
        s.flow = "realnvp"
        #expect(throws: DigsError.invalidInput(field: "train.flow", problem: "is 'realnvp'; expected one of maf, nsf")) { try s.validate() }
        s.flow = nil
        s.tailBound = 4
        #expect(throws: DigsError.self) { try s.validate() }
        s.flow = "nsf"
        #expect(throws: Never.self) { try s.validate() }
        s.numBins = 1
        #expect(throws: DigsError.invalidInput(field: "train.num_bins", problem: "must be 2…64 bins (is 1)")) { try s.validate() }
    }
}

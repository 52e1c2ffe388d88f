import DigsCore
import ForwardModel
import Foundation
import NeuralFlows
import ProductIO

/// `digs train`: a posterior estimator of the flow family `train.flow` names from `augmented_batches` → `flow_model`, checkpointed
/// every epoch into the output product (resumable with `resume: true`).
public enum TrainStage {
    public static func run(settings: TrainingSettings, priors: PriorSet, dataPath: String, output: String, seed: UInt64,
                           overwrite: Bool, resume: Bool, dropInvalid: Bool, limit: Int? = nil, threads: Int,
                           log: (String) -> Void) throws {
        let exists = FileManager.default.fileExists(atPath: output)
        if exists && !overwrite && !resume { throw DigsError.alreadyExists(path: output) }
        var previous: FlowModelFile.Loaded?
        if resume && exists {
            previous = try FlowModelFile.read(path: output)
            if previous?.state?.finished != false {
                log("\(output): training already finished; nothing to resume")
                return
            }
        }
        let data = try Product.open(dataPath, expecting: .augmentedBatches)
        let xSet = try data.dataset("x", dtype: .float32, rank: 2)
        let thetaSet = try data.dataset("theta", rank: 2)
        guard thetaSet.shape[0] == xSet.shape[0] else {
            throw DigsError.invalidProduct(path: dataPath, field: "theta", problem: "has \(thetaSet.shape[0]) rows but x has \(xSet.shape[0])")
        }
        // Heteroscedastic training data carry σ and the mask of every row: the flow then takes
        // [x, log10 σ, mask] as context (ContextLayout.fluxSigmaMask).
        let layout: ContextLayout = data.file.exists("sigma") && data.file.exists("mask") ? .fluxSigmaMask : .flux
        let noiseSets = layout == .flux ? nil : (try data.dataset("sigma", dtype: .float32, rank: 2), try data.dataset("mask", rank: 2))
        let m = min(xSet.shape[0], limit ?? .max), c = layout.contextSize(pixels: xSet.shape[1])
        guard thetaSet.shape[1] == priors.count else {
            throw DigsError.invalidProduct(path: dataPath, field: "theta", problem: "has \(thetaSet.shape[1]) parameters, the pipeline \(priors.count)")
        }
        // With analytic_mass the flow learns every parameter but log_mass (inference draws it
        // from its exact conditional): its columns are the others'.
        let columns = try flowColumns(settings: settings, priors: priors)
        let (training, standardization) = try loadPairs(xSet, thetaSet, noise: noiseSets, rows: m, priors: priors, dataPath: dataPath,
                                                        dropInvalid: dropInvalid, layout: layout,
                                                        transform: settings.contextTransform, thetaTransform: settings.resolvedThetaTransform,
                                                        columns: columns, log: log)
        let family = try settings.flowFamily()
        let trainer = try FlowTrainer(family: family, settings: settings, features: columns.count,
                                      context: c + settings.contextTransform.extraEntries, data: training, seed: seed, workers: threads)
        if let previous, previous.posterior.family != family.name || previous.posterior.trainable.shapeDescription != trainer.network.shapeDescription {
            throw DigsError.invalidProduct(path: output, field: "architecture",
                                           problem: "\(previous.posterior.family) \(previous.posterior.trainable.shapeDescription) differs from the settings' \(family.name) \(trainer.network.shapeDescription)")
        }
        let wavelength: [Double] = try data.dataset("wavelength").read(as: Double.self).data
        let modelVersion = try ForwardModelVersionRecord.read(data)
        let config = PipelineConfig.json(settings)
        var rootAttributes: [String: AttributeValue] = [ForwardModelVersionRecord.attribute: .int(modelVersion),
                                                        SFHFamilyRecord.attribute: .string(try SFHFamilyRecord.read(data))]
        if let analytic = settings.analyticParameter {
            rootAttributes[FlowModelFile.analyticParameterAttribute] = .string(analytic.rawValue)
        }
        let names = columns.map { priors.names[$0] }, units = columns.map { priors.units[$0] }
        let clock = ContinuousClock()
        let began = clock.now
        let embedding = settings.embeddingFeatures.isEmpty ? "" : " after an embedding network of \(settings.embeddingFeatures.map(String.init).joined(separator: " → ")) tanh units"
        let kind = family.describe(settings)
        log(String(format: "training a %d × %d %@%@ (%d weights) on %d pairs, %d for validation; context: %@ (%d values); OpenBLAS kernels: %@",
                   settings.hiddenFeatures, settings.numTransforms, kind, embedding, trainer.network.parameters.count,
                   trainer.trainRows.count, trainer.validationRows.count, layout.rawValue, c, BLASKernels.coreName))
        func save(_ state: TrainerState) throws {
            let posterior = try trainer.network.trained(parameters: state.bestParameters, standardization: standardization,
                                                        parameterNames: names, contextLayout: layout)
            try FlowModelFile.write(posterior, state: state, settings: settings, path: output, seed: seed, config: config,
                                    inputs: [data.asInput(role: "augmented_batches")], parameterUnits: units,
                                    wavelength: wavelength,
                                    rootAttributes: rootAttributes, overwrite: true)
        }
        let state = try trainer.train(from: previous?.state) { report, state in
            try save(state)
            let elapsed = (clock.now - began).seconds
            log(String(format: "epoch %4d  train %.4f  val %.4f%@  lr %.1e  %6.0f pairs/s  %5.0f s  (stops after %d more without improvement)",
                       report.epoch, report.trainLoss, report.validationLoss, report.improved ? " *" : "  ",
                       settings.learningRate(after: state.validationLoss), report.samplesPerSecond, elapsed,
                       settings.stopAfterEpochs - state.epochsSinceImprovement))
        }
        log(String(format: "finished after %d epochs; best validation loss %.4f at epoch %d", state.epoch,
                   state.bestValidationLoss, state.bestEpoch))
    }

    /// The columns of θ the flow learns: all, or with `analytic_mass` all but log_mass, whose
    /// prior must then be uniform (its exact conditional is a truncated Gaussian only then).
    static func flowColumns(settings: TrainingSettings, priors: PriorSet) throws -> [Int] {
        guard let analytic = settings.analyticParameter else { return Array(0..<priors.count) }
        if let problem = priors.analyticConditionalProblem(analytic) {
            throw DigsError.invalidInput(field: "train.analytic_mass", problem: "is true, but \(problem) (set distribution: uniform, or remove analytic_mass)")
        }
        let k = priors.index(of: analytic)
        return (0..<priors.count).filter { $0 != k }
    }

    /// Reads the first `rows` pairs, refuses (or drops) non-finite rows and θ outside the
    /// prior, and standardises them; the raw arrays are released when this returns, so the
    /// peak memory during training is one copy of x (float32) plus the flow.
    static func loadPairs(_ xSet: HDF5Dataset, _ thetaSet: HDF5Dataset, noise: (sigma: HDF5Dataset, mask: HDF5Dataset)?, rows m: Int,
                          priors: PriorSet, dataPath: String, dropInvalid: Bool, layout: ContextLayout, transform: ContextTransform,
                          thetaTransform: ThetaTransform = .logit, columns: [Int]? = nil,
                          log: (String) -> Void) throws -> (TrainingData, Standardization) {
        let p = xSet.shape[1], d = priors.count
        log("reading \(m) training pairs from \(dataPath)")
        var x: NDArray<Float> = try xSet.readRows(0..<m)
        if let noise {
            // Encode row by row into [x, log10 σ, mask], reading σ and the mask in blocks.
            var context = [Float](repeating: 0, count: m * 3 * p)
            var start = 0
            while start < m {
                let end = min(m, start + 8192)
                let sigma: NDArray<Float> = try noise.sigma.readRows(start..<end), mask: NDArray<UInt8> = try noise.mask.readRows(start..<end)
                for r in start..<end {
                    let k = r - start
                    let row = ContextLayout.fluxSigmaMask.encode(x: x.data[(r * p)..<((r + 1) * p)], sigma: sigma.data[(k * p)..<((k + 1) * p)],
                                                                 mask: mask.data[(k * p)..<((k + 1) * p)])
                    context.replaceSubrange((r * 3 * p)..<((r + 1) * 3 * p), with: row)
                }
                start = end
            }
            x = try NDArray(shape: [m, 3 * p], data: context)
        }
        let c = x.shape[1]
        var theta: NDArray<Double> = try thetaSet.readRows(0..<m)
        let invalid = (0..<m).filter { r in
            !x.data[(r * c)..<((r + 1) * c)].allSatisfy(\.isFinite) || !theta.data[(r * d)..<((r + 1) * d)].allSatisfy(\.isFinite)
        }
        if !invalid.isEmpty {
            guard dropInvalid else {
                throw DigsError.invalidProduct(path: dataPath, field: "x/theta",
                                               problem: "\(invalid.count) of \(m) rows hold NaN or infinite values (first: row \(invalid[0])); use --drop-invalid to train without them")
            }
            log("dropping \(invalid.count) rows with NaN or infinite values")
            let bad = Set(invalid)
            let keep = (0..<m).filter { !bad.contains($0) }
            x = try NDArray(shape: [keep.count, c], data: keep.flatMap { x.row($0) })
            theta = try NDArray(shape: [keep.count, d], data: keep.flatMap { theta.row($0) })
        }
        for r in 0..<theta.shape[0] { try priors.check(theta.row(r), row: r, source: dataPath) }
        let kept = columns ?? Array(0..<d)
        if kept.count < d {
            theta = try NDArray(shape: [theta.shape[0], kept.count], data: (0..<theta.shape[0]).flatMap { r in kept.map { theta.data[r * d + $0] } })
        }
        let low = kept.map { priors.entries[$0].prior.low }, high = kept.map { priors.entries[$0].prior.high }
        let (training, standardization) = TrainingData.prepare(theta: theta, x: x, low: low, high: high, contextTransform: transform,
                                                               layout: layout, thetaTransform: thetaTransform)
        return (training, standardization)
    }
}

extension TrainingSettings {
    /// The parameter the flow leaves to its exact conditional (`analytic_mass: true`: log_mass):
    /// the setting's one typed form, from here to the flow's `analytic_parameter` and the likelihood.
    var analyticParameter: ModelParameter? { analyticMass == true ? .logMass : nil }
}

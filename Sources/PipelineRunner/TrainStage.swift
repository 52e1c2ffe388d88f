import DigsCore
import ForwardModel
import Foundation
import NeuralFlows
import ProductIO

/// `digs train`: a MAF posterior estimator from `augmented_batches` → `flow_model`, checkpointed
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
        let (m, c) = (min(xSet.shape[0], limit ?? .max), xSet.shape[1])
        guard thetaSet.shape[1] == priors.count else {
            throw DigsError.invalidProduct(path: dataPath, field: "theta", problem: "has \(thetaSet.shape[1]) parameters, the pipeline \(priors.count)")
        }
        let (training, standardization) = try loadPairs(xSet, thetaSet, rows: m, priors: priors, dataPath: dataPath,
                                                        dropInvalid: dropInvalid, log: log)
        let d = priors.count
        let architecture = MAFArchitecture(features: d, context: c, hidden: settings.hiddenFeatures,
                                           transforms: settings.numTransforms)
        let trainer = try FlowTrainer(architecture: architecture, settings: settings, data: training, seed: seed, workers: threads)
        if let previous, previous.posterior.architecture != architecture {
            throw DigsError.invalidProduct(path: output, field: "architecture",
                                           problem: "\(previous.posterior.architecture) differs from the settings' \(architecture)")
        }
        let wavelength: [Double] = try data.dataset("wavelength").read(as: Double.self).data
        let config = PipelineConfig.json(settings)
        let names = priors.names, units = priors.units
        let clock = ContinuousClock()
        let began = clock.now
        log(String(format: "training a %d × %d MAF (%d weights) on %d pairs, %d for validation",
                   settings.hiddenFeatures, settings.numTransforms, architecture.layout.total,
                   trainer.trainRows.count, trainer.validationRows.count))
        func save(_ state: TrainerState) throws {
            let posterior = try FlowPosterior(network: try MAFNetwork(architecture: architecture, parameters: state.bestParameters,
                                                                      permutations: trainer.network.permutations),
                                              standardization: standardization, parameterNames: names)
            try FlowModelFile.write(posterior, state: state, settings: settings, path: output, seed: seed, config: config,
                                    inputs: [data.asInput(role: "augmented_batches")], parameterUnits: units,
                                    wavelength: wavelength, overwrite: true)
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

    /// Reads the first `rows` pairs, refuses (or drops) non-finite rows and θ outside the
    /// prior, and standardises them; the raw arrays are released when this returns, so the
    /// peak memory during training is one copy of x (float32) plus the flow.
    static func loadPairs(_ xSet: HDF5Dataset, _ thetaSet: HDF5Dataset, rows m: Int, priors: PriorSet, dataPath: String,
                          dropInvalid: Bool, log: (String) -> Void) throws -> (TrainingData, Standardization) {
        let c = xSet.shape[1], d = priors.count
        log("reading \(m) training pairs from \(dataPath)")
        var x: NDArray<Float> = try xSet.readRows(0..<m)
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
        let low = priors.entries.map(\.prior.low), high = priors.entries.map(\.prior.high)
        let (training, standardization) = TrainingData.prepare(theta: theta, x: x, low: low, high: high)
        return (training, standardization)
    }
}

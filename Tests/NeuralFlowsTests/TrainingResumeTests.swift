import DigsCore
import Foundation
import NeuralFlows
import ProductIO
import Testing

/// Training is reproducible: an interrupted run resumed from its saved product ends with
/// the same weights as an uninterrupted one, and a saved flow gives bit-identical log-probs.
struct TrainingResumeTests {
    struct Killed: Error {}

    static func problem(_ transform: ContextTransform = .pixels) throws -> (TrainingData, Standardization, [Double], [Float]) {
        var g = RandomStreams(seed: 8).generator(.testing)
        let n = 3000
        var theta = [Double](), x = [Float]()
        for _ in 0..<n {
            let t = [g.nextUniform() * 4 - 2, g.nextUniform()]
            theta += t
            x += [Float(t[0] + 0.3 * g.nextNormal()), Float(t[1] * t[0] + 0.2 * g.nextNormal()), Float(g.nextNormal())]
        }
        let (data, s) = TrainingData.prepare(theta: try NDArray(shape: [n, 2], data: theta),
                                             x: try NDArray(shape: [n, 3], data: x), low: [-2, 0], high: [2, 1],
                                             contextTransform: transform)
        return (data, s, Array(theta.prefix(40)), Array(x.prefix(60)))
    }

    static let architecture = MAFArchitecture(features: 2, context: 3, hidden: 8, transforms: 3)

    static func settings() -> TrainingSettings {
        var s = TrainingSettings()
        s.hiddenFeatures = 8
        s.numTransforms = 3
        s.maxEpochs = 6
        s.learningRate = 3e-3
        return s
    }

    @Test func resumingFromTheSavedProductEqualsNeverStopping() throws {
        let (data, standardization, _, _) = try Self.problem()
        let whole = try FlowTrainer(architecture: Self.architecture, settings: Self.settings(), data: data, seed: 4)
        let uninterrupted = try whole.train { _, _ in }

        // Kill after epoch 3 (the product written by the epoch callback survives), then resume.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("digs-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("flow.h5").path
        let first = try FlowTrainer(architecture: Self.architecture, settings: Self.settings(), data: data, seed: 4, workers: 1)
        #expect(throws: Killed.self) {
            _ = try first.train { report, state in
                let posterior = try AutoregressiveFlow(
                    network: try MAFNetwork(architecture: Self.architecture, parameters: state.bestParameters,
                                            permutations: (first.network as! MAFNetwork<Float>).permutations),
                    standardization: standardization, parameterNames: ["a", "b"])
                try FlowModelFile.write(posterior, state: state, settings: Self.settings(), path: path, seed: 4, config: "{}",
                                        inputs: [], parameterUnits: ["", ""], wavelength: [1, 2, 3], overwrite: true)
                if report.epoch == 3 { throw Killed() }
            }
        }
        let loaded = try FlowModelFile.read(path: path)
        #expect(loaded.state?.epoch == 3)
        #expect(loaded.state?.finished == false)
        let second = try FlowTrainer(architecture: Self.architecture, settings: Self.settings(), data: data, seed: 4)
        let resumed = try second.train(from: loaded.state) { _, _ in }
        #expect(resumed.epoch == uninterrupted.epoch)
        #expect(resumed.bestParameters == uninterrupted.bestParameters)
        #expect(resumed.validationLoss == uninterrupted.validationLoss)
    }

    /// With and without an embedding network (whose layers must be saved and read back too).
    /// With the level_shape context transform, which must be read back too.
    @Test(arguments: [([], ContextTransform.pixels), ([5, 4], .pixels), ([], .levelShape)])
    func savedFlowGivesBitIdenticalLogProbabilities(_ embedding: [Int], _ transform: ContextTransform) throws {
        let (data, standardization, theta, x) = try Self.problem(transform)
        let a = MAFArchitecture(features: 2, context: 3 + transform.extraEntries, hidden: 8, transforms: 3, embedding: embedding)
        let trainer = try FlowTrainer(architecture: a, settings: Self.settings(), data: data, seed: 2)
        let state = try trainer.train { _, _ in }
        let posterior = try AutoregressiveFlow(network: trainer.network as! MAFNetwork<Float>, standardization: standardization, parameterNames: ["a", "b"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("digs-flow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("flow.h5").path
        try FlowModelFile.write(posterior, state: state, settings: Self.settings(), path: path, seed: 2, config: "{}",
                                inputs: [], parameterUnits: ["", ""], wavelength: [1, 2, 3], overwrite: false)
        let loaded = try FlowModelFile.read(path: path)
        let t = try NDArray(shape: [20, 2], data: theta), xs = try NDArray(shape: [20, 3], data: x)
        #expect(try loaded.posterior.logProb(theta: t, x: xs) == posterior.logProb(theta: t, x: xs))
        #expect((loaded.posterior as! AutoregressiveFlow).network.permutations == posterior.network.permutations)
        #expect((loaded.posterior as! AutoregressiveFlow).architecture == a)
        #expect((loaded.posterior as! AutoregressiveFlow).standardization == standardization)
        #expect(SchemaValidator(catalog: try SchemaCatalog.load()).validate(path: path).violations == [])
        // Samples stay inside the prior box.
        var g = RandomStreams(seed: 1).generator(.posteriorSampling)
        let samples = loaded.posterior.sample(x: xs.row(0), count: 500, generator: &g).theta
        for r in 0..<500 {
            #expect(samples.data[2 * r] >= -2 && samples.data[2 * r] <= 2)
            #expect(samples.data[2 * r + 1] >= 0 && samples.data[2 * r + 1] <= 1)
        }
    }
}

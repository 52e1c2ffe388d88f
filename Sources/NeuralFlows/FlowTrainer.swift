import DigsCore
import Foundation

/// Training pairs in network coordinates: u = standardised logit (or probit) of θ [N × D], x standardised
/// [N × C], and log|du/dθ| per row (so reported losses are −log q(θ | x) in physical units).
public struct TrainingData: Sendable {
    public let count: Int
    public let u: [Float]
    public let x: [Float]
    public let logJacobian: [Double]

    /// Standardises raw pairs and records the constants in `standardization`.
    public static func prepare(theta: NDArray<Double>, x raw: NDArray<Float>, low: [Double], high: [Double],
                               contextTransform: ContextTransform = .pixels, layout: ContextLayout = .flux,
                               thetaTransform: ThetaTransform = .logit)
        -> (TrainingData, Standardization) {
        let n = theta.shape[0], d = theta.shape[1]
        // The transformed context of every row (the raw one for `pixels`).
        let x: NDArray<Float>
        if contextTransform == .pixels {
            x = raw
        } else {
            let cr = raw.shape[1]
            var t = [Float]()
            t.reserveCapacity(n * (cr + contextTransform.extraEntries))
            for r in 0..<n { t += contextTransform.apply(raw.data[(r * cr)..<((r + 1) * cr)], layout: layout) }
            x = try! NDArray(shape: [n, cr + contextTransform.extraEntries], data: t)  // n rows of the transformed width by construction
        }
        let c = x.shape[1]
        var y = [Double](repeating: 0, count: n * d)
        for r in 0..<n {
            for i in 0..<d { y[r * d + i] = thetaTransform.forward(theta.data[r * d + i], low: low[i], high: high[i]).y }
        }
        let (tm, ts) = Standardization.moments(rows: n, columns: d) { y[$0 * d + $1] }
        let (xm, xs) = Standardization.moments(rows: n, columns: c) { Double(x.data[$0 * c + $1]) }
        let s = Standardization(low: low, high: high, thetaMean: tm, thetaStd: ts, xMean: xm, xStd: xs,
                                contextTransform: contextTransform, layout: layout, thetaTransform: thetaTransform)
        var u = [Float](repeating: 0, count: n * d), xz = [Float](repeating: 0, count: n * c)
        var jac = [Double](repeating: 0, count: n)
        for r in 0..<n {
            let (ur, j) = s.forward(theta: theta.row(r))
            for i in 0..<d { u[r * d + i] = Float(ur[i]) }
            jac[r] = j
            for k in 0..<c { xz[r * c + k] = Float((Double(x.data[r * c + k]) - xm[k]) / xs[k]) }
        }
        return (TrainingData(count: n, u: u, x: xz, logJacobian: jac), s)
    }
}

/// Everything needed to continue training exactly where it stopped.
public struct TrainerState: Sendable {
    public var parameters: [Float]
    public var adam: AdamState
    public var bestParameters: [Float]
    public var bestValidationLoss: Double
    public var bestEpoch: Int
    public var epochsSinceImprovement: Int
    public var trainLoss: [Double]
    public var validationLoss: [Double]
    public var finished: Bool
    /// Epochs completed.
    public var epoch: Int { trainLoss.count }

    public init(parameters: [Float], adam: AdamState, bestParameters: [Float], bestValidationLoss: Double, bestEpoch: Int,
                epochsSinceImprovement: Int, trainLoss: [Double], validationLoss: [Double], finished: Bool) {
        self.parameters = parameters
        self.adam = adam
        self.bestParameters = bestParameters
        self.bestValidationLoss = bestValidationLoss
        self.bestEpoch = bestEpoch
        self.epochsSinceImprovement = epochsSinceImprovement
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.finished = finished
    }
}

/// One line of training progress.
public struct EpochReport: Sendable {
    public let epoch: Int
    public let trainLoss: Double
    public let validationLoss: Double
    public let samplesPerSecond: Double
    public let improved: Bool
}

/// Maximum-likelihood training of a MAF on (θ, x) pairs, as `sbi` trains NPE: Adam, shuffled
/// minibatches, gradient-norm clipping, a held-out validation fraction, early stopping that
/// keeps the best weights. Deterministic for a seed: the split, the initial weights, the
/// permutations and every epoch's shuffle come from their own random streams, and each
/// minibatch is split over the workers in a fixed way, so resuming from a `TrainerState`
/// gives the same result as never stopping.
public final class FlowTrainer: @unchecked Sendable {
    public let settings: TrainingSettings
    public let data: TrainingData
    /// The network being trained, of any family (`TrainableFlow`).
    public let network: any TrainableFlow
    public let trainRows: [Int]
    public let validationRows: [Int]
    let streams: RandomStreams
    let workers: Int
    /// Every minibatch is split into this many slices whatever the thread count, and their
    /// gradients are summed in slice order: results do not depend on `workers`.
    static let slices = 2

    /// A trainer of the network of `family` that the settings describe.
    public convenience init(family: any FlowFamily.Type, settings: TrainingSettings, features: Int, context: Int,
                            data: TrainingData, seed: UInt64, workers: Int = 2) throws {
        try self.init(settings: settings, data: data, seed: seed, workers: workers) { generator in
            family.makeNetwork(settings, features: features, context: context, generator: &generator)
        }
    }

    /// A trainer of a masked autoregressive network of the given shape.
    public convenience init(architecture: MAFArchitecture, settings: TrainingSettings, data: TrainingData, seed: UInt64,
                            workers: Int = 2) throws {
        try self.init(settings: settings, data: data, seed: seed, workers: workers) { generator in
            MAFNetwork<Float>(architecture: architecture, generator: &generator)
        }
    }

    /// A trainer of the network `makeNetwork` builds, its initial weights drawn from the
    /// generator it is given (the training seed's first stream).
    public init(settings: TrainingSettings, data: TrainingData, seed: UInt64, workers: Int = 2,
                makeNetwork: (inout Xoshiro256StarStar) -> any TrainableFlow) throws {
        try settings.validate()
        let nVal = Int((Double(data.count) * settings.validationFraction).rounded())
        guard nVal >= 1, data.count - nVal >= settings.batchSize else {
            throw DigsError.invalidInput(field: "training set",
                                         problem: "\(data.count) pairs are too few for a validation fraction of \(settings.validationFraction) and batches of \(settings.batchSize)")
        }
        self.streams = RandomStreams(seed: seed)
        var g = streams.generator(.training, index: 0)
        self.network = makeNetwork(&g)
        var split = streams.generator(.training, index: 1)
        var order = Array(0..<data.count)
        Self.shuffle(&order, &split)
        self.validationRows = Array(order[0..<nVal]).sorted()
        self.trainRows = Array(order[nVal...]).sorted()
        self.settings = settings
        self.data = data
        self.workers = min(max(1, workers), Self.slices)
    }

    /// Fisher–Yates with the given generator.
    static func shuffle(_ a: inout [Int], _ g: inout Xoshiro256StarStar) {
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, Int(g.next() % UInt64(i + 1))) }
    }

    /// The state before the first epoch.
    public func initialState() -> TrainerState {
        TrainerState(parameters: network.parameters, adam: AdamState(count: network.parameters.count),
                     bestParameters: network.parameters, bestValidationLoss: .infinity, bestEpoch: 0,
                     epochsSinceImprovement: 0, trainLoss: [], validationLoss: [], finished: false)
    }

    /// Trains from `state` until early stopping or `maxEpochs`; after every epoch calls
    /// `epochDone` (progress, checkpoint) with the report and the state so far.
    public func train(from start: TrainerState? = nil,
                      epochDone: (EpochReport, TrainerState) throws -> Void) throws -> TrainerState {
        useSingleThreadedBLAS()
        var state = start ?? initialState()
        guard state.parameters.count == network.parameters.count else {
            throw DigsError.invalidInput(field: "resume state", problem: "has \(state.parameters.count) parameters, the flow \(network.parameters.count)")
        }
        let workspaces = (0..<Self.slices).map { _ in WorkerBuffers(network, rows: (settings.batchSize + Self.slices - 1) / Self.slices) }
        let trainJacobian = trainRows.reduce(0) { $0 + data.logJacobian[$1] } / Double(trainRows.count)
        let clock = ContinuousClock()
        while !state.finished && state.epoch < settings.maxEpochs {
            let began = clock.now
            network.parameters = state.parameters
            var order = trainRows
            var g = streams.generator(.training, index: 1000 + UInt64(state.epoch))
            Self.shuffle(&order, &g)
            var lossSum = 0.0
            var batchStart = 0
            let optimizer = Adam(learningRate: settings.learningRate(after: state.validationLoss))
            while batchStart + settings.batchSize <= order.count {
                let batch = Array(order[batchStart..<(batchStart + settings.batchSize)])
                lossSum += step(batch, workspaces, &state, optimizer)
                batchStart += settings.batchSize
            }
            let used = batchStart
            state.parameters = network.parameters
            let trainLoss = lossSum / Double(used) - trainJacobian
            let validationLoss = try self.validationLoss(parameters: state.parameters, workspaces)
            state.trainLoss.append(trainLoss)
            state.validationLoss.append(validationLoss)
            let improved = validationLoss < state.bestValidationLoss
            if improved {
                state.bestValidationLoss = validationLoss
                state.bestParameters = state.parameters
                state.bestEpoch = state.epoch
                state.epochsSinceImprovement = 0
            } else {
                state.epochsSinceImprovement += 1
            }
            if state.epochsSinceImprovement >= settings.stopAfterEpochs || state.epoch >= settings.maxEpochs
                || settings.learningRate(after: state.validationLoss) < settings.minLearningRate {
                state.finished = true
            }
            let seconds = (clock.now - began).seconds
            try epochDone(EpochReport(epoch: state.epoch, trainLoss: trainLoss, validationLoss: validationLoss,
                                      samplesPerSecond: Double(used) / seconds, improved: improved), state)
        }
        network.parameters = state.bestParameters
        return state
    }

    /// Per-worker buffers for a slice of the minibatch.
    final class WorkerBuffers: @unchecked Sendable {
        let workspace: AnyObject
        var u: [Float], x: [Float], logProb: [Float], weights: [Float], gradient: [Float]
        init(_ network: any TrainableFlow, rows: Int) {
            workspace = network.makeWorkspace(rows: rows)
            u = [Float](repeating: 0, count: rows * network.features)
            x = [Float](repeating: 0, count: rows * network.contextCount)
            logProb = [Float](repeating: 0, count: rows)
            weights = [Float](repeating: 0, count: rows)
            gradient = []
        }
    }

    /// One optimiser step on a minibatch; returns Σ −log q(u | x) over its rows.
    private func step(_ batch: [Int], _ buffers: [WorkerBuffers], _ state: inout TrainerState, _ optimizer: Adam) -> Double {
        let d = network.features, c = network.contextCount, n = batch.count
        let slices = Self.slices
        let per = (n + slices - 1) / slices
        let weight = Float(-1) / Float(n)
        let total = network.parameters.count
        parallelChunks(slices, workers: workers) { _, w in
            let buf = buffers[w]
            let rows = batch[min(n, w * per)..<min(n, (w + 1) * per)]
            if buf.gradient.count != total { buf.gradient = [Float](repeating: 0, count: total) }
            buf.gradient.withUnsafeMutableBufferPointer { g in
                g.update(repeating: 0)
                guard !rows.isEmpty else { return }
                buf.u.withUnsafeMutableBufferPointer { u in
                    buf.x.withUnsafeMutableBufferPointer { x in
                        data.u.withUnsafeBufferPointer { du in
                            data.x.withUnsafeBufferPointer { dx in
                                for (j, r) in rows.enumerated() {
                                    (u.baseAddress! + j * d).update(from: du.baseAddress! + r * d, count: d)
                                    (x.baseAddress! + j * c).update(from: dx.baseAddress! + r * c, count: c)
                                }
                            }
                        }
                        buf.weights.withUnsafeMutableBufferPointer { $0.update(repeating: weight) }
                        buf.logProb.withUnsafeMutableBufferPointer { lp in
                            network.logProb(u: u.baseAddress!, x: x.baseAddress!, rows: rows.count, workspace: buf.workspace,
                                            into: lp.baseAddress!)
                        }
                    }
                }
                buf.weights.withUnsafeBufferPointer { wb in
                    network.accumulateGradient(weights: wb.baseAddress!, rows: rows.count, workspace: buf.workspace,
                                               gradient: g.baseAddress!)
                }
            }
        }
        // Sum the slices' gradients in a fixed order (into slice 0's buffer), mask, clip, step.
        var norm2 = 0.0
        buffers[0].gradient.withUnsafeMutableBufferPointer { g in
            for w in 1..<slices {
                buffers[w].gradient.withUnsafeBufferPointer { o in for i in 0..<total { g[i] += o[i] } }
            }
            network.mask.withUnsafeBufferPointer { m in
                var s: Float = 0
                for i in 0..<total {
                    g[i] *= m[i]
                    s += g[i] * g[i]
                }
                norm2 = Double(s)
            }
        }
        let norm = norm2.squareRoot()
        if norm > settings.clipMaxNorm {
            let f = Float(settings.clipMaxNorm / (norm + 1e-6))
            buffers[0].gradient.withUnsafeMutableBufferPointer { g in for i in 0..<total { g[i] *= f } }
        }
        let gradient = buffers[0].gradient
        // The network owns the current weights during an epoch (no copy per step).
        state.adam.step(optimizer, parameters: &network.parameters, gradient: gradient)
        var loss = 0.0
        for w in 0..<slices {
            let rows = min(n, (w + 1) * per) - min(n, w * per)
            for j in 0..<max(0, rows) { loss -= Double(buffers[w].logProb[j]) }
        }
        return loss
    }

    /// Mean −log q(θ | x) over the validation rows with the given parameters.
    func validationLoss(parameters: [Float], _ buffers: [WorkerBuffers]) throws -> Double {
        network.parameters = parameters
        let rows = validationRows
        let chunk = buffers[0].weights.count
        let chunks = (rows.count + chunk - 1) / chunk
        var sums = [Double](repeating: 0, count: chunks)
        sums.withUnsafeMutableBufferPointer { s in
            let out = DisjointWrites(s)
            parallelChunks(chunks, workers: workers) { w, k in
                let buf = buffers[w]
                let part = rows[(k * chunk)..<min(rows.count, (k + 1) * chunk)]
                let d = network.features, c = network.contextCount
                for (j, r) in part.enumerated() {
                    for i in 0..<d { buf.u[j * d + i] = data.u[r * d + i] }
                    for i in 0..<c { buf.x[j * c + i] = data.x[r * c + i] }
                }
                buf.logProb.withUnsafeMutableBufferPointer { lp in
                    network.logProb(u: buf.u, x: buf.x, rows: part.count, workspace: buf.workspace, into: lp.baseAddress!)
                }
                var sum = 0.0
                for (j, r) in part.enumerated() { sum -= Double(buf.logProb[j]) + data.logJacobian[r] }
                out[k] = sum
            }
        }
        return sums.reduce(0, +) / Double(rows.count)
    }
}

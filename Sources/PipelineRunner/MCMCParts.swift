import DigsCore
import Foundation
import Inference
import MCMC
import ProductIO

/// How `digs mcmc` keeps each finished galaxy while the others run, so an interrupted run
/// resumes where it stopped (`MCMCStage.partsFolder`).
/// Results written by concurrent workers, one slot each.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Any?]
    init(count: Int) { values = [Any?](repeating: nil, count: count) }
    func set(_ i: Int, _ value: Any) { lock.withLock { values[i] = value } }
}

extension GalaxyChain {
    /// Saves the finished galaxy (a plain HDF5 file, not a product) for resuming.
    func save(_ path: String, config: String) throws {
        try AtomicWrite.write(to: path) { temporary in
            let file = try HDF5File.create(path: temporary)
            func put<T: HDF5Element>(_ name: String, _ values: [T]) throws {
                try file.createDataset(name, dtype: T.dtype, shape: [values.count]).write(NDArray(shape: [values.count], data: values))
            }
            try put("chain", result.chain)
            try put("log_prob", result.logProb)
            try put("autocorr_time", result.autocorrelationTime)
            try put("split_rhat", result.splitRHat)
            try put("best", result.best)
            try put("scalars", [result.acceptanceFraction, seconds, Double(result.productionAttempts), result.bestLogProb, result.productionBestLogProb])
            try put("burn_in_trace", result.burnInTrace)
            try file.setAttribute("config", .string(config))
            try file.close()
        }
    }

    /// A galaxy saved by an earlier run with the same settings.
    static func load(_ path: String, config: String) throws -> GalaxyChain {
        let file = try HDF5File.open(path: path)
        guard try file.attribute("config")?.stringValue == config else {
            throw DigsError.invalidProduct(path: path, field: "config", problem: "was made with other settings")
        }
        func get<T: HDF5Element>(_ name: String) throws -> [T] { try file.dataset(name).read(as: T.self).data }
        let scalars: [Double] = try get("scalars")
        guard scalars.count == 5 else { throw DigsError.invalidProduct(path: path, field: "scalars", problem: "has \(scalars.count) values; this build writes 5") }
        return GalaxyChain(result: ChainResult(chain: try get("chain"), logProb: try get("log_prob"),
                                                          acceptanceFraction: scalars[0], autocorrelationTime: try get("autocorr_time"),
                                                          splitRHat: try get("split_rhat"),
                                                          best: try get("best"), burnInTrace: try get("burn_in_trace"),
                                                          productionAttempts: Int(scalars[2]), bestLogProb: scalars[3],
                                                          productionBestLogProb: scalars[4]),
                           seconds: scalars[1])
    }
}

import DigsCore
import Diagnostics
import Foundation
import ProductIO

/// `digs compare`: NPE posteriors against MCMC chains on the same observations — per galaxy and
/// parameter the offset of the medians in MCMC σ, the ratio of 68 % widths and the energy
/// distance; and the time per galaxy of each method.
public enum CompareStage {
    public struct Row: Codable, Sendable {
        public let id: String
        public let parameter: String
        public let medianOffset: Double
        public let widthRatio: Double
        public let energyDistance: Double
        /// split-R̂ of this parameter's chain.
        public let splitRHat: Double?
        /// Whether the galaxy's chain is a converged reference (nil: chains made before this was recorded).
        public let converged: Bool?
    }

    public struct Result: Codable, Sendable {
        public let rows: [Row]
        public let mcmcSecondsPerGalaxy: Double
        public let npeMillisecondsPerGalaxy: Double?
        public let text: String
    }

    public static func run(mcmcPath: String, posteriorPath: String) throws -> Result {
        let mcmc = try Product.open(mcmcPath, expecting: .mcmcChains)
        let posterior = try Product.open(posteriorPath, expecting: .posteriorSamples)
        try requireSameObservations(mcmc, posterior)
        try ForwardModelVersionRecord.require(posterior, matches: try ForwardModelVersionRecord.read(mcmc), of: "the chains \(mcmcPath)")
        try SFHFamilyRecord.require(posterior, matches: try SFHFamilyRecord.read(mcmc), of: "the chains \(mcmcPath)")
        let names = try mcmc.file.attribute("parameter_names")?.stringsValue ?? []
        guard try posterior.file.attribute("parameter_names")?.stringsValue == names else {
            throw DigsError.invalidProduct(path: posteriorPath, field: "parameter_names", problem: "differ from the chains' \(names)")
        }
        let chains = try mcmc.dataset("chains", rank: 4), samples = try posterior.dataset("samples", rank: 3)
        let (g, t, w, d) = (chains.shape[0], chains.shape[1], chains.shape[2], chains.shape[3])
        let index: [Int64] = try mcmc.dataset("galaxy_index", rank: 1).read(as: Int64.self).data
        let ids = try ObservationIDs.read(mcmc)
        let rhat: [Double]? = mcmc.file.exists("split_rhat") ? try mcmc.dataset("split_rhat", rank: 2).read(as: Double.self).data : nil
        let converged: [UInt8]? = mcmc.file.exists("converged") ? try mcmc.dataset("converged", rank: 1).read(as: UInt8.self).data : nil
        var rows = [Row]()
        for k in 0..<g {
            let c: NDArray<Float> = try chains.readHyperslab(start: [k, 0, 0, 0], count: [1, t, w, d])
            let s: NDArray<Float> = try samples.readHyperslab(start: [Int(index[k]), 0, 0], count: [1, samples.shape[1], d])
            let id = ids.text(at: k)
            for (j, name) in names.enumerated() {
                let reference = stride(from: j, to: c.data.count, by: d).map { Double(c.data[$0]) }
                let test = stride(from: j, to: s.data.count, by: d).map { Double(s.data[$0]) }
                let cmp = SampleComparison(test: test, reference: reference)
                rows.append(Row(id: id, parameter: name, medianOffset: cmp.medianOffset, widthRatio: cmp.widthRatio,
                                energyDistance: cmp.energyDistance, splitRHat: rhat?[k * d + j], converged: converged.map { $0[k] == 1 }))
            }
        }
        let seconds: [Double] = try mcmc.dataset("timing/seconds", rank: 1).read(as: Double.self).data
        let mcmcSeconds = seconds.reduce(0, +) / Double(max(1, seconds.count))
        let npeMilliseconds = try posterior.file.attribute("milliseconds_per_galaxy")?.doublesValue?.first
        let npeThreads = try posterior.file.attribute("threads")?.intValue ?? 1
        // The summary is over converged references; with none, over all chains, said so.
        let convergedCount = converged?.filter { $0 == 1 }.count
        let summarised = convergedCount.map { $0 > 0 ? rows.filter { $0.converged == true } : rows } ?? rows
        var lines = ["NPE vs MCMC on \(g) galaxies (\(t) steps × \(w) walkers per chain; NPE \(samples.shape[1]) samples)"]
        if let convergedCount, let rhat {
            let worst = rhat.filter(\.isFinite).max() ?? .nan
            lines.append(convergedCount > 0
                ? "converged references (≥ 50 τ, split-R̂ ≤ 1.01): \(convergedCount) of \(g) galaxies; the summary is over those (split-R̂ up to \(String(format: "%.3f", worst)))"
                : "warning: no chain has converged (≥ 50 τ and split-R̂ ≤ 1.01; split-R̂ up to \(String(format: "%.3f", worst))): the summary compares with unconverged chains, whose widths are too narrow")
        }
        // Names longer than the usual 12 characters (logsfr_ratio_1) widen the first column.
        let width = max(12, names.map(\.count).max() ?? 0), pad = String(repeating: " ", count: width - 12)
        lines += [
                     "parameter" + pad + "     |median offset| / σ_MCMC          width ratio NPE/MCMC          energy distance / σ_MCMC",
                     "         " + pad + "     mean  median   p90    max        median   p90   min   max       mean"]
        for name in names {
            let r = summarised.filter { $0.parameter == name }
            let offsets = r.map { abs($0.medianOffset) }.sorted(), ratios = r.map(\.widthRatio).sorted()
            let percentile = { (x: [Double], q: Double) in x.isEmpty ? Double.nan : SampleSummary.percentile(sorted: x, q) }
            lines.append(name.padding(toLength: width, withPad: " ", startingAt: 0) + String(format: " %6.2f %6.2f %6.2f %6.2f        %6.2f %5.2f %5.2f %5.2f     %6.3f",
                                offsets.reduce(0, +) / Double(offsets.count), percentile(offsets, 50), percentile(offsets, 90),
                                offsets.last ?? .nan, percentile(ratios, 50), percentile(ratios, 90), ratios.first ?? .nan,
                                ratios.last ?? .nan, r.map(\.energyDistance).reduce(0, +) / Double(r.count)))
        }
        if let npeMilliseconds {
            lines.append(String(format: "time per galaxy: MCMC %.1f s on one core, NPE %.2f ms (all of digs infer on %d threads): NPE is %.0f× faster",
                                mcmcSeconds, npeMilliseconds, Int(npeThreads), 1000 * mcmcSeconds / npeMilliseconds))
        } else {
            lines.append(String(format: "time per galaxy: MCMC %.1f s on one core", mcmcSeconds))
        }
        return Result(rows: rows, mcmcSecondsPerGalaxy: mcmcSeconds, npeMillisecondsPerGalaxy: npeMilliseconds,
                      text: lines.joined(separator: "\n"))
    }

    /// Refuses chains fitted to other observations than the posterior's (products of different runs).
    static func requireSameObservations(_ chains: Product, _ posterior: Product) throws {
        let observed = { (p: Product) in p.provenance.inputs.first { $0.role == "observations" }?.contentDigest }
        guard let digest = observed(chains), digest == observed(posterior) else {
            throw DigsError.invalidProduct(path: chains.path, field: "inputs",
                                           problem: "its observations differ from those of \(posterior.path): products of different runs")
        }
    }
}

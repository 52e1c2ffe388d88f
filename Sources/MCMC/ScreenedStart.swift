/// Walker starts for a posterior that may have several modes, from a screened pool of candidates
/// (`mcmc.init: screened`).
///
/// An ensemble started from prior draws follows the first mode its walkers fall into; a narrow
/// mode that holds most of the posterior can stay unvisited, and split-R̂ cannot tell (the
/// walkers agree with one another). Candidates such as the NPE's samples often sit in that mode.
/// So the candidates are weighed by the posterior, and half of the walkers start at the most
/// probable distinct ones, the other half at `others` (prior draws): the burn-in's fitted
/// independence proposals then cover both, and their Metropolis–Hastings moves share the walkers
/// between the modes in proportion to the modes' mass.
public struct ScreenedStart: Sendable {
    /// Walker positions [W × D].
    public let positions: [Double]
    /// The most probable candidate and its log p (a `ChainResult.include` for the missed-mode check).
    public let best: [Double]
    public let bestLogProb: Double

    /// `candidates` [n × D] with their log posterior `logProb` [n] (−∞ outside the support);
    /// `others` [≥ W × D] fill the walkers the candidates do not. The top ⌈W/2⌉ distinct finite
    /// candidates (fewer where fewer are finite) come first.
    public init(candidates: [Double], logProb: [Double], walkers w: Int, others: [Double], dimensions d: Int) {
        let ranked = logProb.indices.filter { logProb[$0].isFinite }.sorted { logProb[$0] > logProb[$1] }
        var chosen = [[Double]]()
        for i in ranked where chosen.count < (w + 1) / 2 {
            let row = Array(candidates[(i * d)..<((i + 1) * d)])
            if !chosen.contains(row) { chosen.append(row) }
        }
        positions = chosen.flatMap { $0 } + others[0..<((w - chosen.count) * d)]
        if let top = ranked.first {
            (best, bestLogProb) = (Array(candidates[(top * d)..<((top + 1) * d)]), logProb[top])
        } else {
            (best, bestLogProb) = ([], -.infinity)
        }
    }
}

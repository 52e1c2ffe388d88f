/// Integrated autocorrelation time as emcee estimates it (`emcee.autocorr.integrated_time`,
/// Goodman & Weare 2010; Sokal's automatic window with c = 5): the normalised autocorrelation
/// function of each walker's chain, averaged over walkers; τ(M) = 1 + 2 Σ_{m=1}^{M} ρ(m); the
/// window is the smallest M with M ≥ c·τ(M).
public enum Autocorrelation {
    /// τ for one parameter from `chains[w][t]` (walkers × steps).
    public static func integratedTime(_ chains: [[Double]], c: Double = 5) -> Double {
        guard let n = chains.first?.count, n > 1 else { return .nan }
        let centred = chains.map { chain -> [Double] in
            let mean = chain.reduce(0, +) / Double(n)
            return chain.map { $0 - mean }
        }
        let variances = centred.map { x in x.reduce(0) { $0 + $1 * $1 } / Double(n) }
        var tau = 1.0
        for m in 1..<n {
            var rho = 0.0
            for (x, v) in zip(centred, variances) where v > 0 {
                var sum = 0.0
                for t in 0..<(n - m) { sum += x[t] * x[t + m] }
                rho += sum / Double(n) / v
            }
            tau += 2 * rho / Double(chains.count)
            if Double(m) >= c * tau { return tau }
        }
        return tau
    }
}

/// One observed data vector on the model's pixels, as inference and the likelihood see it:
/// x = log10 L_λ [log(L☉/Å)], its 1-σ Gaussian uncertainty per pixel [dex], and which pixels
/// are usable (mask 1). Masked pixels carry no data: they enter no χ² and no likelihood.
public struct NoisySpectrum: Sendable, Equatable {
    public let logFlux: [Float]
    public let sigma: [Float]
    public let mask: [UInt8]
    /// Indices of the usable pixels, in order.
    public let usable: [Int]

    public init<X: Collection<Float>, S: Collection<Float>, M: Collection<UInt8>>(logFlux: X, sigma: S, mask: M) {
        precondition(logFlux.count == sigma.count && sigma.count == mask.count, "x, σ and mask must have one value per pixel")
        let usableMask = Array(mask)
        self.logFlux = Array(logFlux)
        self.sigma = Array(sigma)
        self.mask = usableMask
        usable = usableMask.indices.filter { usableMask[$0] == 1 }
    }

    public var pixels: Int { logFlux.count }

    /// χ² = Σ over usable pixels of ((x_j − m_j)/σ_j)² for a model spectrum m (log10 L_λ).
    public func chiSquare<M: RandomAccessCollection<Float>>(model: M) -> Double where M.Index == Int {
        var chi2 = 0.0
        let first = model.startIndex
        for j in usable {
            let z = (Double(logFlux[j]) - Double(model[first + j])) / Double(sigma[j])
            chi2 += z * z
        }
        return chi2
    }
}

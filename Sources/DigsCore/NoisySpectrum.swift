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

    /// The moments of χ² along a constant shift s of the model (m_j + s): χ²(s) = χ²(0) − 2bs + as²
    /// with a = Σ 1/σ_j² and b = Σ (x_j − m_j)/σ_j² over the usable pixels [dex⁻², dex⁻¹].
    public func shiftMoments<M: RandomAccessCollection<Float>>(model: M) -> (a: Double, b: Double) where M.Index == Int {
        withModel(model) { m in
            var a = 0.0, b = 0.0
            logFlux.withUnsafeBufferPointer { x in
                sigma.withUnsafeBufferPointer { s in
                    for j in usable {
                        let w = 1 / (Double(s[j]) * Double(s[j]))
                        a += w
                        b += (Double(x[j]) - Double(m[j])) * w
                    }
                }
            }
            return (a, b)
        }
    }

    /// χ² = Σ over usable pixels of ((x_j − m_j)/σ_j)² for a model spectrum m (log10 L_λ).
    public func chiSquare<M: RandomAccessCollection<Float>>(model: M) -> Double where M.Index == Int {
        withModel(model) { m in
            var chi2 = 0.0
            logFlux.withUnsafeBufferPointer { x in
                sigma.withUnsafeBufferPointer { s in
                    for j in usable {
                        let z = (Double(x[j]) - Double(m[j])) / Double(s[j])
                        chi2 += z * z
                    }
                }
            }
            return chi2
        }
    }

    /// `body` of the model's values as one buffer indexed by pixel (copied only when the model is
    /// not contiguous): the χ² loops of every likelihood call run on raw memory.
    private func withModel<M: RandomAccessCollection<Float>, R>(_ model: M, _ body: (UnsafeBufferPointer<Float>) -> R) -> R where M.Index == Int {
        precondition(model.count == logFlux.count, "one model value per pixel")
        return model.withContiguousStorageIfAvailable(body) ?? Array(model).withUnsafeBufferPointer(body)
    }
}

import DigsCore
import Foundation

/// The flux-calibration error of a real spectrum: a smooth multiplicative polynomial, as pPXF's
/// `mdegree` and Prospector's polynomial spectral models. In x = log10 L_λ it adds
///
///     x_j + Σ_{k=1…K} c_k P_k(u_j),   c_k ~ N(0, s²) dex,   u_j = 2j/(P − 1) − 1,
///
/// with P_k the Legendre polynomials and u_j the pixel's position on the grid (linear in λ on
/// DIGS's uniform grids). There is no constant term: an overall factor is degenerate with
/// log_mass, and the spectrum's level is the mass's evidence.
///
/// Training draws the c_k for every pair, so the flow marginalises over them; the likelihood
/// marginalises them analytically (`CalibrationMarginal`), so the MCMC and the importance weights
/// see the same model.
public struct FluxCalibration: Codable, Equatable, Sendable {
    /// Highest Legendre order K (1: a tilt; 2: a tilt and a bow; …).
    public var degree: Int
    /// Prior standard deviation of each coefficient c_k, dex.
    public var sigmaDex: Double

    public init(degree: Int, sigmaDex: Double) {
        (self.degree, self.sigmaDex) = (degree, sigmaDex)
    }

    enum CodingKeys: String, CodingKey { case degree, sigmaDex = "sigma_dex" }

    public func validate() throws {
        guard (1...12).contains(degree) else {
            throw DigsError.invalidInput(field: "model.observation.flux_calibration.degree", problem: "must be 1…12 (is \(degree))")
        }
        guard sigmaDex > 0, sigmaDex < 1 else {
            throw DigsError.invalidInput(field: "model.observation.flux_calibration.sigma_dex", problem: "must be in (0, 1) dex (is \(sigmaDex))")
        }
    }

    /// P_1(u_j) … P_K(u_j) of pixel j of `pixels`, [K].
    public func basis(pixel j: Int, pixels: Int) -> [Double] { Self.legendre(pixel: j, pixels: pixels, degree: degree) }

    /// P_1(u_j) … P_K(u_j), u_j = 2j/(P − 1) − 1, by the three-term recurrence, [K].
    public static func legendre(pixel j: Int, pixels: Int, degree: Int) -> [Double] {
        let u = pixels > 1 ? 2 * Double(j) / Double(pixels - 1) - 1 : 0
        guard degree > 0 else { return [] }
        var out = [Double](repeating: 0, count: degree)
        var (previous, current) = (1.0, u)  // P_0, P_1
        for k in 1...degree {
            out[k - 1] = current
            let next = (Double(2 * k + 1) * u * current - Double(k) * previous) / Double(k + 1)
            (previous, current) = (current, next)
        }
        return out
    }

    /// The basis at every pixel of `pixels`, [P × K] row-major.
    public func basisTable(pixels: Int) -> [Double] { (0..<pixels).flatMap { basis(pixel: $0, pixels: pixels) } }

    /// Adds one draw of the calibration polynomial to a row of x; `table`: `basisTable` of its
    /// pixels (computed once per grid, not per row).
    public func draw(into x: inout ArraySlice<Float>, table: [Double]? = nil, generator g: inout Xoshiro256StarStar) {
        let c = (0..<degree).map { _ in sigmaDex * g.nextNormal() }
        let table = table ?? basisTable(pixels: x.count), k = degree
        for (j, i) in x.indices.enumerated() {
            var sum = 0.0
            for a in 0..<k { sum += table[j * k + a] * c[a] }
            x[i] += Float(sum)
        }
    }

    /// The analytic marginalisation over the coefficients for one observation.
    public func marginal(for observation: NoisySpectrum) -> CalibrationMarginal {
        CalibrationMarginal(calibration: self, observation: observation)
    }
}

/// The likelihood of one observation with the calibration coefficients c ~ N(0, s² I)
/// integrated out. With A the Legendre basis at the usable pixels and W = diag(1/σ_j²),
/// x − f(θ) = r ~ N(0, Σ + s² A Aᵀ), whose χ² is, by the Woodbury identity,
///
///     χ²_marg = rᵀ W r − bᵀ M⁻¹ b,   b = Aᵀ W r,   M = Aᵀ W A + I/s²,
///
/// = the χ² of the calibrated model f + A ĉ plus |ĉ|²/s², with ĉ = M⁻¹ b the coefficients'
/// posterior mean given θ. M depends on σ and the mask only, so it is factored once per
/// observation; each θ then costs O(P·K).
public struct CalibrationMarginal: Sendable {
    public let calibration: FluxCalibration
    /// Basis at every pixel, [P × K] row-major.
    let basis: [Double]
    /// Cholesky factor L of M (lower, [K × K] row-major).
    let cholesky: [Double]
    let observation: NoisySpectrum
    /// For a constant shift of the model (log_mass): M⁻¹ Aᵀ W 1 [K], and the curvature
    /// 1ᵀ W 1 − (Aᵀ W 1)ᵀ M⁻¹ Aᵀ W 1 of the marginal χ² along the shift [dex⁻²].
    let shiftSolution: [Double], shiftCurvature: Double

    init(calibration: FluxCalibration, observation: NoisySpectrum) {
        let k = calibration.degree, p = observation.pixels
        self.calibration = calibration
        self.observation = observation
        basis = calibration.basisTable(pixels: p)
        // M = AᵀWA + I/s², and for the shift u = AᵀW1 and 1ᵀW1, in one pass over the pixels.
        var m = [Double](repeating: 0, count: k * k), u = [Double](repeating: 0, count: k), total = 0.0
        for a in 0..<k { m[a * k + a] = 1 / (calibration.sigmaDex * calibration.sigmaDex) }
        for j in observation.usable {
            let w = 1 / (Double(observation.sigma[j]) * Double(observation.sigma[j]))
            total += w
            for a in 0..<k {
                u[a] += basis[j * k + a] * w
                for b in 0...a { m[a * k + b] += w * basis[j * k + a] * basis[j * k + b] }
            }
        }
        // M is symmetric positive definite (I/s² on its diagonal): Cholesky without pivoting.
        var l = [Double](repeating: 0, count: k * k)
        for a in 0..<k {
            for b in 0...a {
                var sum = m[a * k + b]
                for c in 0..<b { sum -= l[a * k + c] * l[b * k + c] }
                l[a * k + b] = a == b ? sum.squareRoot() : sum / l[b * k + b]
            }
        }
        cholesky = l
        shiftSolution = Self.solve(u, cholesky: l, k: k)
        shiftCurvature = total - zip(u, shiftSolution).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The marginal χ² along a constant shift s of the model (f + s, log_mass):
    /// χ²(s) = χ²(0) − 2bs + as², exactly (generalised least squares): a the curvature, and
    /// b = 1ᵀ W r − (M⁻¹ Aᵀ W 1)ᵀ Aᵀ W r for the residual r = x − f [dex⁻², dex⁻¹].
    public func shiftMoments<M: RandomAccessCollection<Float>>(model: M) -> (a: Double, b: Double) where M.Index == Int {
        let (projected, _) = projection(model: model)
        let plain = observation.shiftMoments(model: model).b
        return (shiftCurvature, plain - zip(shiftSolution, projected).reduce(0) { $0 + $1.0 * $1.1 })
    }

    /// b = Aᵀ W r and the residual's own χ² rᵀ W r, for a model spectrum f (log10 L_λ).
    func projection<M: RandomAccessCollection<Float>>(model: M) -> (b: [Double], chi2: Double) where M.Index == Int {
        let k = calibration.degree, first = model.startIndex
        var b = [Double](repeating: 0, count: k), chi2 = 0.0
        for j in observation.usable {
            let w = 1 / (Double(observation.sigma[j]) * Double(observation.sigma[j]))
            let r = Double(observation.logFlux[j]) - Double(model[first + j])
            chi2 += w * r * r
            for a in 0..<k { b[a] += basis[j * k + a] * w * r }
        }
        return (b, chi2)
    }

    /// M⁻¹ b by the two triangular solves.
    func solve(_ b: [Double]) -> [Double] { Self.solve(b, cholesky: cholesky, k: calibration.degree) }

    /// M⁻¹ b from M's Cholesky factor L (lower, [k × k] row-major).
    static func solve(_ b: [Double], cholesky: [Double], k: Int) -> [Double] {
        var y = b
        for a in 0..<k {
            for c in 0..<a { y[a] -= cholesky[a * k + c] * y[c] }
            y[a] /= cholesky[a * k + a]
        }
        for a in stride(from: k - 1, through: 0, by: -1) {
            for c in (a + 1)..<k { y[a] -= cholesky[c * k + a] * y[c] }
            y[a] /= cholesky[a * k + a]
        }
        return y
    }

    /// χ² of the observation against model f with the calibration marginalised (see above).
    public func chiSquare<M: RandomAccessCollection<Float>>(model: M) -> Double where M.Index == Int {
        let (b, chi2) = projection(model: model)
        let c = solve(b)
        return chi2 - zip(b, c).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The posterior-mean coefficients ĉ given the model f, dex [K].
    public func coefficients<M: RandomAccessCollection<Float>>(model: M) -> [Double] where M.Index == Int {
        solve(projection(model: model).b)
    }

    /// f + A ĉ at every pixel: the model as the observation sees it through its calibration.
    public func calibrated<M: RandomAccessCollection<Float>>(model: M) -> [Float] where M.Index == Int {
        let c = coefficients(model: model), k = calibration.degree, first = model.startIndex
        return (0..<observation.pixels).map { j in
            Float(Double(model[first + j]) + (0..<k).reduce(0) { $0 + basis[j * k + $1] * c[$1] })
        }
    }
}

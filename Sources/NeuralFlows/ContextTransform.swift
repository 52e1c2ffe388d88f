import DigsCore

/// What the raw context x (a `ContextLayout` encoding) becomes before it is z-scored.
///
/// Across a prior of several dex in mass, log10 L_λ moves almost entirely as a whole: on the
/// quickstart every pixel's spread is 1.47–1.58 dex, of which 1.50 is the spectrum's mean level,
/// while the shape (x minus its mean) spreads by only 0.03–0.30 dex, and z-scored pixels are
/// 99.3 % correlated. Per-pixel z-scoring then leaves the shape — age, metallicity, dust — as a
/// percent-level residual the network must dig out.
public enum ContextTransform: String, Codable, Sendable, CaseIterable, SettingChoice {
    /// The encoding itself, z-scored per entry (sbi's `z_score_x: independent`).
    case pixels
    /// [level, x_j − level, the rest of the encoding]: the mean log flux over the usable pixels,
    /// then each usable pixel's flux relative to it (0 at masked pixels), then log10 σ and the
    /// mask unchanged; one entry longer. An invertible linear map of the usable fluxes.
    case levelShape = "level_shape"

    /// Entries added to the raw context.
    public var extraEntries: Int { self == .pixels ? 0 : 1 }

    /// The transformed row (before z-scoring) of one raw context row, in Float like the raw
    /// one (training and inference both z-score these values).
    public func apply<C: Collection>(_ x: C, layout: ContextLayout) -> [Float] where C.Element == Float {
        guard self == .levelShape else { return Array(x) }
        let raw = x.map(Double.init)
        let p = layout == .flux ? raw.count : raw.count / 3
        let usable = (0..<p).filter { layout == .flux || raw[2 * p + $0] == 1 }
        let level = usable.isEmpty ? 0 : usable.reduce(0) { $0 + raw[$1] } / Double(usable.count)
        var out = [Double](repeating: 0, count: raw.count + 1)
        out[0] = level
        for j in usable { out[1 + j] = raw[j] - level }
        for j in p..<raw.count { out[1 + j] = raw[j] }
        return out.map(Float.init)
    }
}

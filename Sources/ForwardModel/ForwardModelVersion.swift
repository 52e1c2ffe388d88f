/// The version of the forward model θ → x. Every product made from simulated spectra records
/// the version it was made with (`forward_model_version`), so that a flow trained on one
/// model is never paired with observations, predictive checks or MCMC chains of another.
///
/// Raise it whenever a change alters what `SpectrumSimulator` returns for the same θ, SSPs and
/// settings.
public enum ForwardModelVersion {
    /// This build's model.
    public static let current: Int64 = 2

    /// What each version computed.
    public static let history: [Int64: String] = [
        1: "SSPs point-sampled on an internal R = 1000 grid starting at the first pixel edge, lines in one cell (products without a recorded version)",
        2: "exact pixel means of the velocity-broadened SSPs, lines as Gaussians integrated over pixels",
    ]

    /// The version of products written before versions were recorded.
    public static let unrecorded: Int64 = 1
}

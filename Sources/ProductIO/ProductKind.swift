/// The kinds of HDF5 product that DIGS stages write (`products/README.md`); each has a schema file
/// `schemas/<rawValue>.json`.
public enum ProductKind: String, CaseIterable, Sendable, Codable {
    case sspLibrary = "ssp_library"
    case thetaGrid = "theta_grid"
    case sedSet = "sed_set"
    case augmentedBatches = "augmented_batches"
    case flowModel = "flow_model"
    case posteriorSamples = "posterior_samples"
    case sbcResult = "sbc_result"
    case mcmcChains = "mcmc_chains"
    case observationSet = "observation_set"
}

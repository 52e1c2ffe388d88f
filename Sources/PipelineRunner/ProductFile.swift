/// A product of a pipeline run and its file in the run's output folder. The one list of file
/// names: the CLI's default paths, `digs run`'s plan, the report and the Snakefile (checked
/// against it by `Tests/python/test_stage_spec.py`) all take them from here.
public enum ProductFile: Hashable, Sendable {
    case sspLibrary
    case theta(set: String)
    case sed(set: String)
    case augmented
    case flow
    case observations(set: String)
    case posterior(set: String)
    case sbc(set: String)
    case mcmc(set: String)
    case catalog(set: String)
    /// Folders: `digs plot`'s figures and `digs report`'s page.
    case figures, report

    /// The file (or folder) name inside the output folder.
    public var fileName: String {
        switch self {
        case .sspLibrary: return "01_ssp_library.h5"
        case let .theta(set): return "02_theta_\(set).h5"
        case let .sed(set): return "03_sed_\(set).h5"
        case .augmented: return "04_augmented.h5"
        case .flow: return "05_flow.h5"
        case let .observations(set): return "06_observations_\(set).h5"
        case let .posterior(set): return "07_posterior_\(set).h5"
        case let .sbc(set): return "08_sbc_\(set).h5"
        case let .mcmc(set): return "09_mcmc_\(set).h5"
        case let .catalog(set): return "catalog_\(set).fits"
        case .figures: return "figures"
        case .report: return "report"
        }
    }

    /// Its path in the output folder `folder`.
    public func path(in folder: String) -> String { folder + "/" + fileName }
}

/// The `digs` commands that make up a pipeline, by the name the CLI registers them under
/// (`commandName`) and `digs run` spawns; the options they share are named by `StageOption`.
public enum StageCommand: String, CaseIterable, Sendable {
    case sspImport = "ssp import", samplePrior = "sample-prior", simulate, augment, train, observe, ingest, infer
    case sbc, mcmc, compare, export, plot, report

    /// The words of the command line (`["ssp", "import"]`).
    public var words: [String] { rawValue.split(separator: " ").map(String.init) }
    /// The subcommand name the CLI declares (the last word).
    public var commandName: String { words.last! }
}

/// Long names of the options the stage commands share (`--set`, `--seed`, …): the CLI's
/// option groups declare them with these names and `digs run` builds its command lines with
/// them, so the two cannot drift apart.
public enum StageOption: String, Sendable {
    case config, force, threads, set, seed, output, shard
    case ssp, theta, sed, data, flow, observations, posterior, sbc, mcmc

    /// `--name`.
    public var flag: String { "--" + rawValue }

    /// For an option that names an input product: what it takes and its default product for a set.
    public var productRead: (kind: String, file: @Sendable (String) -> ProductFile)? {
        switch self {
        case .ssp: return ("ssp_library product", { _ in .sspLibrary })
        case .theta: return ("theta_grid product", { .theta(set: $0) })
        case .sed: return ("sed_set product", { .sed(set: $0) })
        case .data: return ("augmented_batches product", { _ in .augmented })
        case .flow: return ("flow_model product", { _ in .flow })
        case .observations: return ("observation_set or sed_set", { .observations(set: $0) })
        case .posterior: return ("posterior_samples product", { .posterior(set: $0) })
        case .sbc: return ("sbc_result product", { .sbc(set: $0) })
        case .mcmc: return ("mcmc_chains product", { .mcmc(set: $0) })
        case .config, .force, .threads, .set, .seed, .output, .shard: return nil
        }
    }
}

import ArgumentParser
import PipelineRunner

/// `digs simulate`.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Noiseless spectra x = log10 L_lambda [Lsun/A] for every theta (sed_set product).",
        discussion: """
        Forward model (DESIGN §3): delayed-tau SFH integrated exactly over 0.1-dex age bins, BC03 SSPs \
        interpolated linearly in log Z, Cloudy nebular emission below 10 Myr, Calzetti dust, Gaussian velocity \
        broadening and the exact mean over each instrument pixel (lines as Gaussians integrated over pixels; no internal grid). Output: <pipeline output>/03_sed_<set>.h5.
        """)

    @OptionGroup var common: CommonOptions

    @OptionGroup var sharding: ShardOption

    @Option(name: .long, help: "theta_grid product (default: <pipeline output>/02_theta_<set>.h5).")
    var theta: String?

    @Option(name: .long, help: "ssp_library product (default: <pipeline output>/01_ssp_library.h5).")
    var ssp: String?

    @Option(name: .long, help: "Which set, for the default paths: train or test.")
    var set: String = "train"

    @Option(name: [.short, .long], help: "Output product path.")
    var output: String?

    func run() throws {
        let pipeline = try common.pipeline()
        try pipeline.checkResources(stages: ["simulate"], source: common.config ?? "the default settings")
        try SimulateStage.run(
            model: pipeline.model,
            thetaPath: try common.outputPath(theta, default: "02_theta_\(set).h5"),
            sspPath: try common.outputPath(ssp, default: "01_ssp_library.h5"),
            output: try common.outputPath(output, default: "03_sed_\(set).h5"),
            overwrite: common.force, shard: try sharding.value(), threads: common.threads, log: progress)
    }
}

// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "DIGS",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "digs", targets: ["digs"]),
        .library(name: "DigsCore", targets: ["DigsCore"]),
        .library(name: "ProductIO", targets: ["ProductIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // MARK: System libraries (shims for what Swift cannot import directly)
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5-serial",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CFITSIO", pkgConfig: "cfitsio",
                       providers: [.apt(["libcfitsio-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),
        // SHA-256 alone (content digests, fingerprints): the system's libcrypto instead of
        // compiling swift-crypto's copy of BoringSSL (~300 C files) in every fresh build.
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),

        // MARK: Domain modules (dependencies point one way: core ← I/O ← … ← CLI)
        .target(name: "DigsCore", exclude: ["README.md"]),
        .target(
            name: "ProductIO",
            dependencies: [
                "DigsCore", "CHDF5", "CLibCrypto",
            ],
            exclude: ["README.md"],
            resources: [
                .embedInCode("Schemas/common.json"),
                .embedInCode("Schemas/ssp_library.json"),
                .embedInCode("Schemas/theta_grid.json"),
                .embedInCode("Schemas/sed_set.json"),
                .embedInCode("Schemas/augmented_batches.json"),
                .embedInCode("Schemas/flow_model.json"),
                .embedInCode("Schemas/posterior_samples.json"),
                .embedInCode("Schemas/sbc_result.json"),
                .embedInCode("Schemas/mcmc_chains.json"),
                .embedInCode("Schemas/observation_set.json"),
            ]
        ),

        .target(name: "FITSIO", dependencies: ["DigsCore", "CFITSIO"], exclude: ["README.md"]),
        .target(
            name: "SpectralSynthesis",
            dependencies: [
                "DigsCore", "ProductIO", "FITSIO",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "ForwardModel", dependencies: ["DigsCore", "SpectralSynthesis"], exclude: ["README.md"]),
        .target(
            name: "NeuralFlows", dependencies: ["DigsCore", "ProductIO", "CBLAS"], exclude: ["README.md"],
            // The training loops index raw buffers whose sizes are checked once per call;
            // dropping per-element overflow checks makes them vectorise (~1.3× faster training).
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),
        .target(name: "Diagnostics", dependencies: ["DigsCore"], exclude: ["README.md"]),
        .target(name: "MCMC", dependencies: ["DigsCore", "Diagnostics"], exclude: ["README.md"]),
        .target(name: "Inference", dependencies: ["DigsCore", "ForwardModel", "NeuralFlows", "MCMC", "Diagnostics"],
                exclude: ["README.md"]),
        .target(name: "Plotting", dependencies: ["DigsCore", "CCairo"], exclude: ["README.md"]),
        .target(name: "SpectrumIngest", dependencies: ["DigsCore", "FITSIO", "SpectralSynthesis"], exclude: ["README.md"]),
        .target(
            name: "PipelineRunner",
            dependencies: [
                "DigsCore", "ProductIO", "FITSIO", "SpectralSynthesis", "ForwardModel", "NeuralFlows", "Diagnostics", "MCMC", "Inference", "Plotting",
                "SpectrumIngest",
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["README.md"]
        ),

        // MARK: Command-line interface
        .executableTarget(
            name: "digs",
            dependencies: [
                "DigsCore", "ProductIO", "PipelineRunner", "SpectrumIngest", "NeuralFlows", "MCMC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: Tests
        .testTarget(name: "DigsCoreTests", dependencies: ["DigsCore"]),
        .testTarget(name: "ProductIOTests", dependencies: ["ProductIO", "DigsCore", "CHDF5"]),
        .testTarget(name: "SpectralSynthesisTests", dependencies: ["SpectralSynthesis", "DigsCore", "ProductIO"]),
        .testTarget(name: "ForwardModelTests", dependencies: ["ForwardModel", "SpectralSynthesis", "DigsCore"]),
        .testTarget(name: "NeuralFlowsTests", dependencies: ["NeuralFlows", "DigsCore", "ProductIO", "Diagnostics"]),
        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "DigsCore"]),
        .testTarget(name: "FITSIOTests", dependencies: ["FITSIO", "DigsCore"]),
        .testTarget(name: "MCMCTests", dependencies: ["MCMC", "DigsCore"]),
        .testTarget(name: "SpectrumIngestTests", dependencies: ["SpectrumIngest", "DigsCore"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "ForwardModel", "NeuralFlows", "SpectralSynthesis", "DigsCore", "ProductIO"]),
        .testTarget(name: "PipelineRunnerTests", dependencies: ["PipelineRunner", "ForwardModel", "DigsCore", "NeuralFlows", "SpectralSynthesis"]),
        .testTarget(name: "PlottingTests", dependencies: ["Plotting", "DigsCore", "CCairo"], exclude: ["Golden"]),
    ]
)

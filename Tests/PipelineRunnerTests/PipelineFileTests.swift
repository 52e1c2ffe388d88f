import DigsCore
import ForwardModel
import Foundation
import PipelineRunner
import Testing

/// Pipeline files against the defaults they are laid over, and the plan `digs run` makes.
@Suite("Pipeline files, plans and runs")
struct PipelineFileTests {
    /// Writes `text` to a fresh pipeline file and returns its path.
    static func file(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("digs-pipeline-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/p.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func keysLeftOutTakeTheDefaults() throws {
        let c = try PipelineConfig.load(path: Self.file("name: mine\ntrain: {hidden_features: 7}\nmodel:\n  instrument: {pixels: 40}\n"))
        var expected = PipelineConfig()
        expected.name = "mine"
        expected.output = "products/mine"
        expected.train.hiddenFeatures = 7
        expected.model.instrument.pixels = 40
        #expect(c == expected)
        #expect(try PipelineConfig.load(path: Self.file("name: a\noutput: elsewhere\n")).output == "elsewhere")
        #expect(PipelineConfig.defaults == PipelineConfig())
    }

    /// A variant mapping is taken whole: its fields belong to its variant, not to the default's.
    @Test func variantsAreTakenWhole() throws {
        let c = try PipelineConfig.load(path: Self.file("model:\n  observation:\n    noise: {model: fractional}\n  dust: {law: power_law}\n"))
        #expect(c.model.observation.noise == .fractional(fraction: 0.05))
        #expect(c.model.dust == .powerLaw(index: -0.7))
        #expect(c.augment.realisations == AugmentSettings().realisations)
        #expect(c.model.observation.modelErrorDex == nil)
    }

    /// The observation model's keys of earlier files (`augment.noise`, …) are refused with their new place.
    @Test func movedObservationKeysNameTheirNewPlace() throws {
        for key in ["noise: {model: fractional}", "model_error_dex: 0.01", "emission_line_mask: {half_width_kms: 500}",
                    "flux_calibration: {degree: 2, sigma_dex: 0.1}"] {
            let path = try Self.file("name: old\naugment:\n  realisations: 3\n  \(key)\n")
            let name = String(key.prefix { $0 != ":" })
            #expect {
                try PipelineConfig.load(path: path)
            } throws: { error in
                "\(error)".contains("augment.\(name) (line 4)") && "\(error)".contains("model.observation.\(name)")
            }
        }
    }

    /// `model.sfh` names a registered family, by name alone or as a mapping with `family`; an
    /// unknown family, an unknown key in the mapping, or parameters of another family are refused
    /// with the key, the value and what was expected.
    @Test func theStarFormationHistoryIsChosenByNameAndChecked() throws {
        #expect(try PipelineConfig.load(path: Self.file("model:\n  sfh: delayed_tau\n")).model.forward.history is DelayedTauHistory)
        #expect(try PipelineConfig.load(path: Self.file("model:\n  sfh: {family: delayed_tau}\n")).model.sfh == SFHChoice())
        let cases: [(String, [String])] = [
            ("model:\n  sfh: delayed_taux\n", ["model.sfh", "delayed_taux", "did you mean 'delayed_tau'", "expected one of delayed_tau"]),
            ("model:\n  sfh: {family: continuum}\n", ["model.sfh.family", "continuum", "expected one of"]),
            ("model:\n  sfh: {family: delayed_tau, bins: 3}\n", ["model.sfh.bins (line 2)"]),
            ("model:\n  parameters:\n    - {name: log_mass, distribution: uniform, low: 8, high: 13}\n    - {name: t_age, distribution: uniform, low: 0.01, high: 4}\n    - {name: log_z, distribution: uniform, low: -2, high: 0.2}\n    - {name: dust2, distribution: uniform, low: 0.1, high: 1}\n",
             ["model.parameters", "delayed_tau", "log_tau", "the pipeline lists log_mass, t_age, log_z, dust2"]),
        ]
        for (text, words) in cases {
            let path = try Self.file(text)
            #expect {
                try PipelineConfig.load(path: path)
            } throws: { error in
                words.allSatisfy { "\(error)".contains($0) }
            }
        }
    }

    @Test func invalidChoicesNameTheKeyAndTheChoices() throws {
        let path = try Self.file("mcmc:\n  init: bogus\n")
        #expect {
            try PipelineConfig.load(path: path)
        } throws: { error in
            "\(error)".contains("mcmc.init (line 2)") && "\(error)".contains("expected one of prior, npe")
        }
    }

    @Test func thePlanNamesEveryProductByItsProductFile() throws {
        var c = PipelineConfig()
        c.output = "out"
        let plan = PipelinePlan(config: c)
        let outputs = plan.steps.compactMap(\.output)
        let expected: [ProductFile] = [.sspLibrary, .theta(set: "train"), .theta(set: "test"), .sed(set: "train"), .sed(set: "test"),
                                       .augmented, .flow, .observations(set: "test"), .posterior(set: "test"), .sbc(set: "test"),
                                       .mcmc(set: "test"), .catalog(set: "test")]
        #expect(outputs == expected.map { $0.path(in: "out") })
        #expect(plan.steps.first { $0.name == "simulate-train" }?.arguments == ["simulate", "--set", "train"])
        #expect(plan.steps.first { $0.name == "ssp" }?.arguments == ["ssp", "import"])
        // The default screened start and an NPE start read the posterior; a prior start does not.
        #expect(plan.steps.first { $0.name == "mcmc" }?.inputs.contains("out/07_posterior_test.h5") == true)
        c.mcmc.initialization = .npe
        #expect(PipelinePlan(config: c).steps.first { $0.name == "mcmc" }?.inputs.contains("out/07_posterior_test.h5") == true)
        c.mcmc.initialization = .prior
        #expect(PipelinePlan(config: c).steps.first { $0.name == "mcmc" }?.inputs.contains("out/07_posterior_test.h5") == false)
    }

    /// `digs run` hands every stage's command line to the CLI's parser before the first stage
    /// runs: a refused one stops the run with nothing spawned (the executable does not exist).
    @Test func aRefusedCommandLineStopsTheRunBeforeAnyStage() throws {
        let path = try Self.file("name: refused\noutput: \(FileManager.default.temporaryDirectory.path)/digs-refused-\(UUID().uuidString)\n")
        var parsed = [[String]]()
        #expect {
            try PipelineRun.execute(pipeline: path, options: .init(), executable: "/nonexistent/digs",
                                    parse: { arguments in
                                        parsed.append(arguments)
                                        if arguments.first == "infer" { throw DigsError.invalidInput(field: "--flow", problem: "renamed") }
                                    }, log: { _ in }, report: { _ in })
        } throws: { error in
            "\(error)".contains("stage infer") && "\(error)".contains("refuses its command line")
        }
        #expect(parsed.count == 9)  // ssp … infer, and none spawned
        #expect(parsed[0] == ["ssp", "import", "--config", path, "--force", "--threads", "2"])
    }
}

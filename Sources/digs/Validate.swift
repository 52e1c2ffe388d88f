import ArgumentParser
import NeuralFlows
import ProductIO

/// `digs validate FILE…`: checks products against their schemas.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check product files against their schemas (and a flow against the network it describes) and list every violation.",
        discussion: "Exits with status 1 when any file has a violation.")

    @Argument(help: "Product files (HDF5) to check.")
    var files: [String]

    @Flag(name: .long, help: "Skip recomputing the content digest (faster on large products).")
    var skipDigest = false

    func run() throws {
        let validator = SchemaValidator(catalog: try SchemaCatalog.load())
        var failed = 0
        for path in files {
            var report = validator.validate(path: path, verifyDigest: !skipDigest)
            // Beyond the layout: a flow must load as the network its attributes describe.
            if report.isValid, report.kind == ProductKind.flowModel.rawValue {
                do { _ = try FlowModelFile.read(path: path) } catch { report.violations.append("\(error)") }
            }
            if report.isValid {
                print("\(path): valid \(report.kind ?? "?") product")
            } else {
                failed += 1
                print("\(path): \(report.violations.count) violation\(report.violations.count == 1 ? "" : "s")")
                for v in report.violations { print("  - \(v)") }
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

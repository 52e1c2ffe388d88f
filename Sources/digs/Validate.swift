import ArgumentParser
import ProductIO

/// `digs validate FILE…`: checks products against their schemas.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check product files against their schemas and list every violation.",
        discussion: "Exits with status 1 when any file has a violation.")

    @Argument(help: "Product files (HDF5) to check.")
    var files: [String]

    @Flag(name: .long, help: "Skip recomputing the content digest (faster on large products).")
    var skipDigest = false

    func run() throws {
        let validator = SchemaValidator(catalog: try SchemaCatalog.load())
        var failed = 0
        for path in files {
            let report = validator.validate(path: path, verifyDigest: !skipDigest)
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

import ArgumentParser
import ProductIO

/// `digs inspect FILE`: prints a readable summary of a product.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a product's kind, version, provenance and datasets (shapes, units).",
        discussion: "Also checks the layout against the product's schema (not the content digest: see `digs validate`) and exits with status 1 when it does not hold.")

    @Argument(help: "Product files (HDF5) to summarise.")
    var files: [String]

    func run() throws {
        let validator = SchemaValidator(catalog: try SchemaCatalog.load())
        var failed = 0
        for (i, path) in files.enumerated() {
            if i > 0 { print("") }
            print(try ProductSummary.text(for: path))
            let report = validator.validate(path: path, verifyDigest: false)
            if !report.isValid {
                failed += 1
                print("  NOT VALID: \(report.violations.count) violation\(report.violations.count == 1 ? "" : "s")")
                for v in report.violations { print("  - \(v)") }
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

import ArgumentParser
import ProductIO

/// `digs inspect FILE`: prints a readable summary of a product.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a product's kind, version, provenance and datasets (shapes, units).")

    @Argument(help: "Product files (HDF5) to summarise.")
    var files: [String]

    func run() throws {
        for (i, path) in files.enumerated() {
            if i > 0 { print("") }
            print(try ProductSummary.text(for: path))
        }
    }
}

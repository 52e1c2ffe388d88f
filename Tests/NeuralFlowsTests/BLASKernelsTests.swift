import Foundation
import NeuralFlows
import Testing

/// The OpenBLAS kernels `digs` asks for when OpenBLAS fell back to its generic ones, from CPU
/// flags in the form /proc/cpuinfo gives them.
@Suite("OpenBLAS kernel choice")
struct BLASKernelsTests {
    static let avx512 = Set("fpu sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16".split(separator: " ").map(String.init))

    @Test func fallbackGetsTheKernelsTheFlagsSupport() {
        #expect(BLASKernels.preferredCoreType(coreName: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.preferredCoreType(coreName: "Prescott", cpuFlags: ["sse4_2", "avx", "avx2", "fma"]) == "Haswell")
        // AVX-512 without one of the five SkylakeX needs: Haswell's.
        #expect(BLASKernels.preferredCoreType(coreName: "Prescott", cpuFlags: Self.avx512.subtracting(["avx512vl"])) == "Haswell")
        #expect(BLASKernels.preferredCoreType(coreName: "Prescott", cpuFlags: ["sse4_2", "avx"]) == nil)
    }

    @Test func aKnownCPUKeepsOpenBLASsChoice() {
        for core in ["Zen", "SkylakeX", "Haswell", "SapphireRapids", "Cooperlake"] {
            #expect(BLASKernels.preferredCoreType(coreName: core, cpuFlags: Self.avx512) == nil)
        }
    }

    @Test func flagsAreReadFromTheFirstCPU() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cpuinfo-\(UUID().uuidString)").path
        try "processor\t: 0\nmodel\t\t: 207\nflags\t\t: fpu avx2 fma avx512f\n\nprocessor\t: 1\nflags\t\t: fpu\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BLASKernels.cpuFlags(cpuinfo: path) == ["fpu", "avx2", "fma", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: path + ".missing").isEmpty)
    }
}

import CBLAS
import Foundation

/// Which OpenBLAS kernels run the flow's matrix products. OpenBLAS picks them for the CPU when it
/// is loaded; a CPU newer than the library gets its generic SSE3 kernels ("Prescott"): Debian
/// 12's OpenBLAS 0.3.21 does not know Intel's family 6 model 207 (Emerald Rapids), and trained
/// the quickstart's flow at 60 000–70 000 pairs/s there instead of 120 000–130 000 with the
/// AVX-512 kernels it has (`OPENBLAS_CORETYPE=SkylakeX`). `digs` asks for the kernels the CPU's
/// flags support when OpenBLAS fell back, by starting itself again with `OPENBLAS_CORETYPE` set
/// (read only at load time); a value the user set is kept.
public enum BLASKernels {
    /// The kernel set OpenBLAS runs with (its `openblas_get_corename`).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The OpenBLAS core type to ask for instead of `coreName`, from the CPU's feature flags
    /// (`/proc/cpuinfo` names): SkylakeX with AVX-512 F/CD/BW/DQ/VL, Haswell with AVX2 and FMA;
    /// nil unless OpenBLAS fell back to its generic "Prescott" kernels, or when the CPU has
    /// neither. The flags are read only after a fallback (every `digs` start asks).
    public static func preferredCoreType(coreName: String, cpuFlags: @autoclosure () -> Set<String>) -> String? {
        guard coreName == "Prescott" else { return nil }
        let flags = cpuFlags()
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// The feature flags of the first CPU in `/proc/cpuinfo` (empty where it cannot be read).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}

import CBLAS
import Foundation

/// OpenBLAS chooses its kernels by CPU model when the library loads. Builds older than the CPU (Debian
/// 12's OpenBLAS 0.3.21 on Sapphire/Emerald Rapids, for example) do not know the model and fall back to
/// the generic "Prescott" kernel, about five times slower than the AVX-512 one the CPU supports (measured
/// here: 18-24 against 103-134 GFLOP/s for a 2048 sgemm on 2 threads). The only control is the
/// environment variable OPENBLAS_CORETYPE, read at load time, so a process that finds the fallback
/// re-executes itself once with the kernel its CPU flags support. A user's own OPENBLAS_CORETYPE is never
/// overridden.
public enum BLASKernel {
    /// The kernel OpenBLAS is running ("SkylakeX", "Haswell", "Prescott", ...).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The kernel this CPU's flags support, from /proc/cpuinfo; nil when that cannot be read.
    static func supportedCoreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }

    /// How long (2^n cycles) OpenBLAS's worker threads keep spinning for the next product after finishing
    /// one. The default, 2^28 cycles (about 0.1 s), keeps a spinning thread on a core while the tensor
    /// core's own parallel loops run between products; on 2 cores that cost CSTA's training step about
    /// 15 % (3 alternating pairs: 3,105 / 3,483 / 2,937 ms against 2,404 / 2,769 / 2,700 ms with 4, which is
    /// OpenBLAS's minimum); LoGoNet, EDSNet and VideoSAGE showed no difference beyond the noise.
    static let threadTimeout = "4"

    /// Re-executes the current process once with the environment OpenBLAS reads only when it loads:
    /// OPENBLAS_CORETYPE when OpenBLAS fell back to its generic kernel on a CPU that supports a faster one,
    /// and OPENBLAS_THREAD_TIMEOUT (`threadTimeout`). A user's own setting of either is never overridden.
    /// Returns (doing nothing) when nothing needs setting; on success it does not return.
    public static func reexecWithTunedEnvironmentIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        var changed: [String] = []
        if env["OPENBLAS_CORETYPE"] == nil, coreName == "Prescott", let core = supportedCoreType() {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed.append("OPENBLAS_CORETYPE")
        }
        if env["OPENBLAS_THREAD_TIMEOUT"] == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", threadTimeout, 1)
            changed.append("OPENBLAS_THREAD_TIMEOUT")
        }
        guard !changed.isEmpty else { return }
        let args = CommandLine.arguments
        var cArgs = args.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &cArgs)
        // execv only returns on failure: carry on with OpenBLAS as it loaded rather than fail.
        for name in changed { unsetenv(name) }
    }
}

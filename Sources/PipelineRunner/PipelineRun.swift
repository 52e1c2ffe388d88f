import DigsCore
import Foundation
import ProductIO

#if canImport(Glibc)
import Glibc
#endif

/// `digs run`: executes a `PipelinePlan`, each stage as its own `digs` process, skipping the
/// up-to-date ones, keeping `RunState` and the run log, and reporting what it did.
public enum PipelineRun {
    public struct Options: Sendable {
        public var from: String?, until: String?
        public var force = false, dryRun = false
        public var threads = 2

        public init(from: String? = nil, until: String? = nil, force: Bool = false, dryRun: Bool = false, threads: Int = 2) {
            (self.from, self.until, self.force, self.dryRun, self.threads) = (from, until, force, dryRun, threads)
        }
    }

    /// Runs the pipeline file `pipeline` with the `digs` binary at `executable`; progress goes to
    /// `log`, the plan and the final summary to `report`. `parse` is the CLI's own parser: every
    /// stage's command line goes through it before the first stage runs, so a command line the
    /// CLI would refuse stops the run at once instead of after hours of earlier stages.
    public static func execute(pipeline: String, options: Options, executable: String, parse: ([String]) throws -> Void,
                               log progress: (String) -> Void, report: (String) -> Void) throws {
        let config = try PipelineConfig.load(path: pipeline)
        let plan = PipelinePlan(config: config)
        let (from, until, force, dryRun, threads) = (options.from, options.until, options.force, options.dryRun, options.threads)
        let chosen = try plan.range(from: from, until: until)
        for step in chosen {
            do { try parse(step.commandLine(pipeline: pipeline, threads: threads)) } catch {
                throw DigsError.invalidInput(field: "stage \(step.name)",
                                             problem: "this build of digs refuses its command line `digs \(step.commandLine(pipeline: pipeline, threads: threads).joined(separator: " "))`: \(error)")
            }
        }
        try config.checkResources(stages: Set(chosen.map { Self.resourceStage($0.name) }), source: pipeline)
        if !dryRun { try createFolder(plan.folder) }   // a dry run writes nothing, not even the folder
        let lock = dryRun ? nil : try RunLock(folder: plan.folder)
        defer { withExtendedLifetime(lock) {} }
        var state = RunState.load(folder: plan.folder)
        var log = [RunLogEntry]()
        /// The run log keeps, per stage, the latest time it ran (or failed).
        func saveLog() throws {
            let path = plan.folder + "/run_log.json"
            var latest = [String: RunLogEntry]()
            if let data = FileManager.default.contents(atPath: path),
               let old = try? JSONDecoder().decode([RunLogEntry].self, from: data) {
                for entry in old { latest[entry.stage] = entry }
            }
            for entry in log where entry.status != .upToDate || latest[entry.stage] == nil { latest[entry.stage] = entry }
            try RunState.writeAtomically(plan.steps.compactMap { latest[$0.name] }, to: path)
        }
        var remade = Set<String>()   // products (re)made by this run, or that a dry run would remake
        let began = ContinuousClock.now
        for step in chosen {
            // --force and --from re-run every stage of the range; otherwise only stale ones run.
            let reasons = force || from != nil ? ["forced"] : try Self.staleness(step, state: state, remade: remade)
            let label = step.name.padding(toLength: 18, withPad: " ", startingAt: 0)
            if reasons.isEmpty {
                progress("✓ \(label) up to date")
                log.append(RunLogEntry(stage: step.name, status: .upToDate, started: Provenance.now(), seconds: 0, peakMemoryMB: nil))
                continue
            }
            let why = reasons.joined(separator: "; ")
            if dryRun {
                report("would run \(label) (\(why)): digs \((step.arguments + [StageOption.config.flag, pipeline]).joined(separator: " "))")
                if let output = step.output { remade.insert(output) }
                continue
            }
            progress("▶ \(label) \(why)")
            let started = Provenance.now()
            let clock = ContinuousClock.now
            let (status, peak) = try Self.spawn(executable, step.commandLine(pipeline: pipeline, threads: threads))
            let seconds = (ContinuousClock.now - clock).seconds
            guard status == 0 else {
                log.append(RunLogEntry(stage: step.name, status: .failed, started: started, seconds: seconds, peakMemoryMB: peak))
                try saveLog()
                throw DigsError.invalidInput(field: "stage \(step.name)", problem: "`digs \(step.arguments.joined(separator: " "))` failed (\(status < 0 ? "killed by signal \(-status)" : "exit status \(status)")); finished stages are kept, re-run to continue")
            }
            if let output = step.output {
                state.stages[step.name] = RunState.Entry(fingerprint: try Self.fingerprint(step), productDigest: try PipelinePlan.digest(of: output))
                try state.save(folder: plan.folder)
                remade.insert(output)
            }
            log.append(RunLogEntry(stage: step.name, status: .ran, started: started, seconds: seconds, peakMemoryMB: peak))
            try saveLog()
            progress(String(format: "  %@ done in %.1f s, peak memory %.0f MB", step.name, seconds, peak))
        }
        if dryRun {
            if remade.isEmpty { report("nothing to do: every product of \(config.name) is up to date") }
            return
        }
        let ran = log.filter { $0.status == .ran }
        if ran.isEmpty {
            report("nothing to do: all \(log.count) stages of \(config.name) are up to date (\(plan.folder))")
        } else {
            report(String(format: "%@: ran %d of %d stages in %.1f s (%@)", config.name, ran.count, log.count,
                         (ContinuousClock.now - began).seconds, ran.map(\.stage).joined(separator: ", ")))
        }
    }

    /// Why a step must run (empty: up to date).
    static func staleness(_ step: PipelinePlan.Step, state: RunState, remade: Set<String>) throws -> [String] {
        var reasons = [String]()
        if let changed = step.inputs.first(where: { remade.contains($0) }) {
            reasons.append("\((changed as NSString).lastPathComponent) is remade")
            return reasons
        }
        guard let output = step.output else {
            return remade.isEmpty ? [] : ["its inputs changed"]
        }
        guard FileManager.default.fileExists(atPath: output) else { return ["\((output as NSString).lastPathComponent) does not exist"] }
        guard let entry = state.stages[step.name] else { return ["not made by digs run yet"] }
        if let missing = (step.inputs + (step.objectTable.map { [$0] } ?? [])).first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            return ["input \(missing) is missing"]
        }
        if entry.fingerprint != (try fingerprint(step)) { reasons.append("its settings or inputs changed") }
        if entry.productDigest != (try? PipelinePlan.digest(of: output)) { reasons.append("the product changed since it was made") }
        return reasons
    }

    static func fingerprint(_ step: PipelinePlan.Step) throws -> String {
        PipelinePlan.fingerprint(step, inputDigests: try step.inputs.map { try PipelinePlan.digest(of: $0) },
                                 listingDigest: try step.objectTable.map { try PipelinePlan.listingDigest(objectTable: $0) })
    }

    /// Runs a child process with inherited standard streams; returns its exit status (negative:
    /// the signal that killed it) and peak resident memory in MB.
    /// The `ResourceEstimate` stage of a plan step ("simulate-train" → "simulate").
    static func resourceStage(_ step: String) -> String {
        ["sample-prior", "simulate", "infer", "export"].first { step.hasPrefix($0) } ?? step
    }

    static func spawn(_ executable: String, _ arguments: [String]) throws -> (status: Int32, peakMB: Double) {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, executable, nil, nil, argv, environ)
        guard rc == 0 else {
            throw DigsError.unreadableFile(path: executable, reason: "cannot start: \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return (signal == 0 ? (status >> 8) & 0xff : -signal, Double(usage.ru_maxrss) / 1024)
    }
}

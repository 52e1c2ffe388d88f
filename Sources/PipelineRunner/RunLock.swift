import DigsCore
import Foundation

/// An exclusive lock on a pipeline's output folder, so that two `digs run` on one folder do
/// not both do all the work (and write the same products). `flock` on `<folder>/.digs-run.lock`
/// is released by the kernel when the process ends, however it ends: a killed run never leaves
/// the folder locked. The file holds the holder's pid for the message.
final class RunLock {
    private let descriptor: Int32

    init(folder: String) throws {
        let path = folder + "/.digs-run.lock"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw DigsError.unwritableFile(path: path, reason: "cannot create the run lock: \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, buffer.count)
            close(fd)
            let holder = String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DigsError.invalidInput(field: folder,
                                         problem: "another `digs run` (pid \(holder.isEmpty ? "unknown" : holder)) is working on this output folder; wait for it to finish, or stop it")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

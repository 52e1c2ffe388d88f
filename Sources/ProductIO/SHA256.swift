import CLibCrypto
import Foundation

/// SHA-256 (FIPS 180-4) through the system's OpenSSL libcrypto (its EVP interface): the content
/// digests, file digests and pipeline fingerprints. The same bytes give the same digest as
/// Python's hashlib and `sha256sum` (tested on the FIPS test vectors).
public struct SHA256 {
    /// The EVP context, freed with its owner.
    private final class Context {
        let pointer: OpaquePointer
        init() {
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                fatalError("libcrypto could not start a SHA-256 digest (out of memory)")
            }
            pointer = context
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }
    private let context = Context()

    public init() {}

    /// Adds bytes to the digest.
    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context.pointer, base, bytes.count)
    }

    /// Adds the bytes of a collection (`Data`, `[UInt8]`).
    public mutating func update<D: ContiguousBytes>(data: D) {
        data.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// The 32 bytes of the digest; the hasher is spent.
    public func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context.pointer, &digest, &length)
        return Array(digest.prefix(Int(length)))
    }

    /// The digest of bytes in one call.
    public static func hash<D: ContiguousBytes>(data: D) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: data)
        return hasher.finalize()
    }

    /// Lowercase hex of digest bytes.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

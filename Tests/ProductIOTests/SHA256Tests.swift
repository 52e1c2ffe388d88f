import Foundation
import ProductIO
import Testing

/// SHA-256 through libcrypto against the FIPS 180-4 example vectors (independent truth), in one
/// call and fed in pieces of every size.
@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ]

    @Test func fipsVectors() {
        for (text, expected) in Self.vectors {
            #expect(SHA256.hex(SHA256.hash(data: Data(text.utf8))) == expected)
        }
    }

    @Test func piecesGiveTheWholeDigest() {
        let text = Array(Self.vectors[2].0.utf8)
        for piece in [1, 3, 7, 56] {
            var hasher = SHA256()
            var start = 0
            while start < text.count {
                hasher.update(data: Array(text[start..<min(text.count, start + piece)]))
                start += piece
            }
            #expect(SHA256.hex(hasher.finalize()) == Self.vectors[2].1)
        }
    }

    /// One million 'a' (the FIPS long-message vector), through the file digest in 4 MiB blocks.
    @Test func millionAsThroughTheFileDigest() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sha256-\(UUID().uuidString)").path
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try FileDigest.sha256(path: path) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

import Foundation

/// A FITS unit string (`TUNITn`, `BUNIT`; FITS standard 4.0 §4.3 and the ESO, SDSS and DESI
/// spellings of it) as a scale and dimensions in erg, s and cm: `10**(-19).erg.cm**(-2).s**(-1).angstrom**(-1)`,
/// `1e-17 erg/s/cm2/Angstrom`, `10**-17 erg/(s cm2 Angstrom)`, `W m**(-2) nm**(-1)`, `nm`, `Angstrom`.
/// Products of units join with `.`, `*` or a blank; `/` divides by the factor after it (a group
/// in parentheses, or one unit); powers are `**`, `^` or digits written after the unit (`cm-2`).
public struct UnitString: Equatable, Sendable {
    /// The unit in erg^a s^b cm^c, times `scale`.
    public var scale: Double
    public var erg = 0, second = 0, centimetre = 0

    /// f_λ in erg s⁻¹ cm⁻² Å⁻¹ per unit of this string, or nil when it is not a flux density per
    /// unit wavelength.
    public var toErgPerSecondSquareCentimetreAngstrom: Double? {
        (erg, second, centimetre) == (1, -1, -3) ? scale * 1e-8 : nil
    }

    /// Å per unit of this string, or nil when it is not a length.
    public var toAngstrom: Double? { (erg, second, centimetre) == (0, 0, 1) ? scale * 1e8 : nil }

    /// Units by lower-cased symbol: scale and (erg, s, cm) powers.
    static let units: [String: (Double, Int, Int, Int)] = [
        "erg": (1, 1, 0, 0), "ergs": (1, 1, 0, 0), "j": (1e7, 1, 0, 0), "w": (1e7, 1, -1, 0),
        "s": (1, 0, 1, 0), "sec": (1, 0, 1, 0),
        "cm": (1, 0, 0, 1), "m": (100, 0, 0, 1), "mm": (0.1, 0, 0, 1), "um": (1e-4, 0, 0, 1), "micron": (1e-4, 0, 0, 1),
        "nm": (1e-7, 0, 0, 1), "angstrom": (1e-8, 0, 0, 1), "angstroms": (1e-8, 0, 0, 1), "angstroem": (1e-8, 0, 0, 1),
        "a": (1e-8, 0, 0, 1), "aa": (1e-8, 0, 0, 1),
    ]

    init(scale: Double) { self.scale = scale }

    /// The unit a string names, or nil when it holds a unit or a syntax not listed above.
    public init?(_ text: String) {
        var parser = Parser(Array(text.trimmingCharacters(in: .whitespaces)))
        guard !parser.text.isEmpty, let value = parser.product(), parser.atEnd else { return nil }
        self = value
    }

    func power(_ n: Int) -> UnitString {
        var u = UnitString(scale: Foundation.pow(scale, Double(n)))
        (u.erg, u.second, u.centimetre) = (erg * n, second * n, centimetre * n)
        return u
    }

    static func * (a: UnitString, b: UnitString) -> UnitString {
        var u = UnitString(scale: a.scale * b.scale)
        (u.erg, u.second, u.centimetre) = (a.erg + b.erg, a.second + b.second, a.centimetre + b.centimetre)
        return u
    }

    /// Recursive descent over the characters of a unit string.
    struct Parser {
        let text: [Character]
        var i = 0
        init(_ text: [Character]) { self.text = text }
        var atEnd: Bool { i == text.count }
        var next: Character? { i < text.count ? text[i] : nil }

        mutating func product() -> UnitString? {
            guard var value = power() else { return nil }
            while let c = next, c != ")" {
                if c == "/" {
                    i += 1
                    skipBlanks()
                    guard let divisor = power() else { return nil }
                    value = value * divisor.power(-1)
                } else if c == "." || c == "*" || c == " " {
                    i += 1
                    skipBlanks()
                    guard let factor = power() else { return nil }
                    value = value * factor
                } else {
                    return nil
                }
            }
            return value
        }

        mutating func skipBlanks() { while next == " " { i += 1 } }

        /// A factor with an optional power: `**n`, `**(n)`, `^n`, or digits right after a unit symbol.
        mutating func power() -> UnitString? {
            let wasSymbol = next?.isLetter == true
            guard let base = factor() else { return nil }
            if next == "*", i + 1 < text.count, text[i + 1] == "*" {
                i += 2
                guard let n = exponent() else { return nil }
                return base.power(n)
            }
            if next == "^" {
                i += 1
                guard let n = exponent() else { return nil }
                return base.power(n)
            }
            if wasSymbol, let c = next, c.isNumber || c == "-" || c == "+" {
                guard let n = exponent() else { return nil }
                return base.power(n)
            }
            return base
        }

        mutating func exponent() -> Int? {
            let parenthesised = next == "("
            if parenthesised { i += 1 }
            var digits = ""
            if let c = next, c == "-" || c == "+" { digits.append(c); i += 1 }
            while let c = next, c.isNumber { digits.append(c); i += 1 }
            if parenthesised {
                guard next == ")" else { return nil }
                i += 1
            }
            return Int(digits)
        }

        mutating func factor() -> UnitString? {
            guard let c = next else { return nil }
            if c == "(" {
                i += 1
                skipBlanks()
                guard let inner = product(), next == ")" else { return nil }
                i += 1
                return inner
            }
            if c.isNumber {
                var number = ""
                while let d = next, d.isNumber || d == "." && i + 1 < text.count && text[i + 1].isNumber { number.append(d); i += 1 }
                if let e = next, e == "e" || e == "E", i + 1 < text.count, text[i + 1].isNumber || text[i + 1] == "-" || text[i + 1] == "+" {
                    number.append("e"); i += 1
                    if let s = next, s == "-" || s == "+" { number.append(s); i += 1 }
                    while let d = next, d.isNumber { number.append(d); i += 1 }
                }
                return Double(number).map(UnitString.init(scale:))
            }
            var symbol = ""
            while let d = next, d.isLetter { symbol.append(d); i += 1 }
            guard let (scale, e, s, l) = UnitString.units[symbol.lowercased()] else { return nil }
            var u = UnitString(scale: scale)
            (u.erg, u.second, u.centimetre) = (e, s, l)
            return u
        }
    }
}

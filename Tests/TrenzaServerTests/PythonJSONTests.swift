import Testing
@testable import TrenzaServer

@Suite("PythonJSON writes what Python's json.dumps writes")
struct PythonJSONTests {
    // Each pair: a double and Python 3's `json.dumps` of it (its `repr`).
    @Test("Floats as Python's repr", arguments: [
        (0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (2.0, "2.0"), (100.0, "100.0"), (-2.5, "-2.5"),
        (0.1, "0.1"), (0.1 + 0.2, "0.30000000000000004"), (1.0 / 3.0, "0.3333333333333333"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (1.5e-05, "1.5e-05"), (123456.789, "123456.789"),
        (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1.2345e16, "1.2345e+16"), (1e22, "1e+22"),
        (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.0012345678901234567, "0.0012345678901234567"), (0.9999999999999999, "0.9999999999999999"),
        (2.220446049250313e-16, "2.220446049250313e-16"),
    ])
    func float(value: Double, python: String) {
        #expect(PythonJSON.double(value).text == python)
    }

    @Test("Objects in insertion order, Python's separators, ensure_ascii escaping")
    func document() {
        let document = PythonJSON.object([
            ("operacion", .string("rápida")),
            ("tiempo", .double(0.123)),
            ("x", .array([.int(1), .bool(true), .null, .string("a\"b\\c\n\t\u{01}\u{7F}€😀")])),
        ])
        // json.dumps({"operacion": "rápida", "tiempo": 0.123, "x": [1, True, None, "a\"b\\c\n\t\x01\x7f€😀"]})
        #expect(document.text == #"{"operacion": "r\u00e1pida", "tiempo": 0.123, "x": [1, true, null, "a\"b\\c\n\t\u0001\u007f\u20ac\ud83d\ude00"]}"#)
        #expect(document.bytes.allSatisfy { $0 < 0x80 })
    }

    @Test("Empty containers")
    func empty() {
        #expect(PythonJSON.object([]).text == "{}")
        #expect(PythonJSON.array([]).text == "[]")
    }
}

import Foundation
import Trenza

#if canImport(Glibc)
import Glibc
#endif

/// Where the command line writes: the only place in Trenza that prints.
enum Terminal {
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Rewrites the current stderr line (a progress bar); only used on a terminal.
    static func status(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// A line on stderr that must be seen while a bar is drawn: on a terminal it takes the
    /// bar's line, and the bar comes back under it at its next redraw.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data(((stderrIsTerminal ? "\r\u{1B}[2K" : "") + line + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// A reporter that draws a bar on stderr when it is a terminal, and plain lines otherwise.
    static func progressReporter(total: Int, unit: String = "items") -> ProgressReporter {
        let interactive = stderrIsTerminal
        var size = winsize()
        let columns = interactive && ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        return ProgressReporter(total: total, unit: unit, interactive: interactive, columns: columns) { output in
            switch output {
            case .redraw(let line): status(line)
            case .line(let line): err(line)
            }
        }
    }

    /// Ends a redrawn bar's line, so what follows starts on a fresh one.
    static func endProgress() {
        if stderrIsTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

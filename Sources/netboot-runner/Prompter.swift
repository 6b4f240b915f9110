import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks for variables on the terminal before the first step (the seed's "Edit Task Sequence
/// Variables" page, L5092-5108); a secret is read with echo off.
enum Prompter {
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

    static func ask(_ name: String, secret: Bool) -> String? {
        FileHandle.standardError.write(Data("Value for \(name)\(secret ? " (secret, not shown)" : ""): ".utf8))
        var saved = termios()
        let canHide = secret && tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if canHide {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return readLine(strippingNewline: true)
    }
}

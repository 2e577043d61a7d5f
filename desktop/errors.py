"""Errors that staff see, separated from bugs.

A ``UserFacingError`` is a condition of the world (a corrupt package, a bad request, a
database made by a newer version) that the user can act on. Its message is Simplified
Chinese and says what is wrong and what to do. Anything else is a bug and goes to the
crash handler.
"""


class UserFacingError(Exception):
    """A problem the user can fix; ``str(err)`` is the Chinese message shown to staff."""

    #: Process exit code for the command line.
    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, window_hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.window_hint = window_hint  # what to do in the window, when ``hint`` names a command

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message

    def for_window(self) -> str:
        """The message as the window says it: what to do there, never a command to type."""
        hint = self.window_hint or self.hint
        return f"{self.message}\n{hint}" if hint else self.message


class DatabaseError(UserFacingError):
    """The database cannot be opened or used (too new, locked, corrupt, disk full)."""


class ImportCountMismatch(UserFacingError):
    """A source's row counts disagree with the totals stated in its 凡例."""


class SourceFormatError(UserFacingError):
    """An official source file does not have the structure its adapter expects."""


class NotFound(UserFacingError):
    """A catalogue entry, edition or receipt that was asked for does not exist."""


class RequestError(UserFacingError):
    """A request (estimate, check) has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("请求有误：\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


def os_reason(err: OSError) -> str:
    """Why a file could not be read or written, in words staff read (never Python's English text).

    >>> os_reason(FileNotFoundError(2, "No such file or directory"))
    '文件不存在'
    """
    import errno

    reasons = {
        errno.ENOENT: "文件不存在",
        errno.EACCES: "没有访问权限",
        errno.EPERM: "没有访问权限",
        errno.EISDIR: "这是一个文件夹，不是文件",
        errno.ENOTDIR: "路径中有一部分不是文件夹",
        errno.ENOSPC: "磁盘已满",
        errno.EROFS: "磁盘只读",
        errno.EEXIST: "文件已存在",
        errno.ENAMETOOLONG: "文件名过长",
        errno.EBUSY: "文件正被其他程序使用",
    }
    return reasons.get(err.errno or -1, "无法访问该文件")


def reason(err: BaseException) -> str:
    """Why a file could not be used, in Chinese: the OS error, the encoding, or where its JSON breaks.

    >>> import json
    >>> try:
    ...     json.loads('{"a": }')
    ... except ValueError as e:
    ...     print(reason(e))
    JSON 格式有误（第 1 行第 7 列），请检查括号、引号和逗号
    """
    import json
    import zipfile

    if isinstance(err, OSError):
        return os_reason(err)
    if isinstance(err, UnicodeDecodeError):
        return "不是 UTF-8 编码的文本"
    if isinstance(err, json.JSONDecodeError):
        return f"JSON 格式有误（第 {err.lineno} 行第 {err.colno} 列），请检查括号、引号和逗号"
    if isinstance(err, (zipfile.BadZipFile, EOFError)):
        return "压缩数据已损坏或不完整"
    return "内容格式有误"


def db_reason(err: BaseException) -> str:
    """Why SQLite refused, in Chinese (its own English text is for the log).

    >>> import sqlite3
    >>> db_reason(sqlite3.OperationalError("database is locked"))
    '数据库正被其他程序占用'
    """
    text = str(err).lower()
    for needle, said in (
        ("locked", "数据库正被其他程序占用"),
        ("busy", "数据库正被其他程序占用"),
        ("full", "磁盘已满"),
        ("readonly", "数据库文件只读"),
        ("read-only", "数据库文件只读"),
        ("not a database", "文件不是数据库或已损坏"),
        ("malformed", "数据库文件已损坏"),
        ("unable to open", "无法打开数据库文件（路径不存在或没有权限）"),
        ("disk i/o", "磁盘读写出错"),
    ):
        if needle in text:
            return said
    return "数据库操作失败"

"""Composition root of the window: arguments -> paths -> database -> QApplication -> fonts -> MainWindow."""

from __future__ import annotations

import logging
import sys
import time
import traceback
from pathlib import Path
from types import TracebackType

from desktop import APP_NAME, APP_ORG, APP_TITLE, __version__, paths
from desktop.errors import UserFacingError
from desktop.platform import NO_DISPLAY as NO_DISPLAY  # re-exported: the start-up tests read it here
from desktop.platform import display_problem

log = logging.getLogger(__name__)

#: Point size of the application font: readable at arm's length at a counter.
FONT_POINT_SIZE = 11


def _log_file() -> Path | None:
    try:
        return paths.data_dir() / "yaomu.log"
    except OSError:
        return None


def setup_logging() -> Path | None:
    target = _log_file()
    if target is not None and not logging.getLogger().handlers:
        logging.basicConfig(
            filename=target,
            level=logging.INFO,
            encoding="utf-8",
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    return target


def register_fonts(app: object) -> str | None:
    """Register the bundled fonts (resources/fonts/*.ttc, *.ttf) and make the first one the app font.

    Returns:
        The family now used, or None when no bundled font could be loaded (Qt then draws boxes
        for Chinese on machines without a CJK font, so this is logged as an error).
    """
    from PySide6.QtGui import QFont, QFontDatabase

    family = None
    folder = paths.resource_path("fonts")
    for font_file in sorted(folder.glob("*.tt[cf]")):
        font_id = QFontDatabase.addApplicationFont(str(font_file))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            log.error("could not load bundled font %s", font_file)
            continue
        family = family or families[0]
    if family is None:
        log.error("no bundled font in %s: Chinese text may not render", folder)
        return None
    font = QFont(family, FONT_POINT_SIZE)
    app.setFont(font)  # type: ignore[attr-defined]
    return family


def install_translations(app: object) -> bool:
    """Qt's own dialogs (file chooser, print preview, Yes/No, OK) in Simplified Chinese; Chinese locale.

    Loads ``qtbase_zh_CN`` shipped with PySide6. Returns False (logged) when it cannot be found.
    """
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translator = QTranslator(app)  # type: ignore[arg-type]  # parented: lives as long as the application
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(QLocale(QLocale.Language.Chinese, QLocale.Country.China), "qtbase", "_", folder):
        log.error("Qt's Chinese translations (qtbase_zh_CN.qm) not found in %s", folder)
        return False
    app.installTranslator(translator)  # type: ignore[attr-defined]
    extra = QTranslator(app)  # type: ignore[arg-type]  # the few strings qtbase_zh_CN leaves in English
    if extra.load(str(paths.resource_path("translations") / "qt_extra_zh_CN.qm")):
        app.installTranslator(extra)  # type: ignore[attr-defined]  # installed last: asked first
    else:
        log.error("resources/translations/qt_extra_zh_CN.qm not found")
    return True


def install_excepthook(smoke_test: bool = False) -> None:
    """Anything that escapes a slot is logged and shown in a Chinese crash dialog (never lost, never a traceback)."""

    def hook(kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
        if isinstance(err, KeyboardInterrupt):
            sys.__excepthook__(kind, err, tb)
            return
        text = "".join(traceback.format_exception(kind, err, tb))
        if isinstance(err, UserFacingError):
            log.warning("user-facing error reached the top: %s", err)
            message, title, icon = str(err), "提示", "warning"
        else:
            log.error("internal error:\n%s", text)
            where = _log_file()
            message = (
                "药目遇到了内部错误，当前操作没有完成。\n"
                f"错误详情已记录到日志：{where}\n"
                "可以继续使用；如问题反复出现，请重新启动药目并把日志文件发给技术支持。"
            )
            title, icon = "内部错误", "critical"
        if smoke_test:
            print(f"错误：{message}\n{text}", file=sys.stderr)
            sys.exit(1)
        try:
            from PySide6.QtWidgets import QApplication, QMessageBox

            if QApplication.instance() is not None:
                box = QMessageBox.critical if icon == "critical" else QMessageBox.warning
                box(None, title, message)
                return
        except Exception:  # the dialog itself failed: fall back to stderr below
            log.exception("crash dialog failed")
        print(message, file=sys.stderr)

    sys.excepthook = hook


def install_catalogue(db_path: Path, *, smoke_test: bool) -> UserFacingError | None:
    """Load the bundled catalogue off the GUI thread behind a progress dialog; return the error, if any."""
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtWidgets import QProgressDialog

    from desktop.sync import bundled
    from desktop.ui.workers import run_in_background

    dialog = QProgressDialog("正在首次安装医保药品目录（2024年版修订、2025年版），请稍候…", "", 0, 0)
    dialog.setWindowTitle(APP_TITLE)
    dialog.setCancelButton(None)  # half a catalogue is worse than none: no cancel here
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    if not smoke_test:
        dialog.show()
    loop = QEventLoop()
    outcome: dict[str, BaseException | None] = {"error": None}

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, total))

    def failed(err: BaseException) -> None:
        outcome["error"] = err
        loop.quit()

    run_in_background(
        lambda job: bundled.install(db_path, on_progress=job.report),
        lambda _r: loop.quit(),
        failed,
        on_progress=progress,
    )
    loop.exec()
    dialog.close()
    err = outcome["error"]
    if err is None:
        return None
    if isinstance(err, UserFacingError):
        return err
    raise err


# Longer than 60 lines: start-up in the order it must happen (Qt, fonts, database, first start,
# window); each step is a few lines.
def run_gui(db_path: str | None, smoke_test: bool) -> int:
    """Start the window (or, with ``smoke_test``, build it and exit 0).

    Args:
        db_path: the database file; None for the default location (or $YAOMU_DB).
        smoke_test: open or create the database (installing the bundled catalogue when it is
            empty), build and show the main window, then exit.

    Returns:
        The process exit code: 0, 2 when the database cannot be used (the message says why).
    """
    started = time.perf_counter()
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    setup_logging()
    install_excepthook(smoke_test)
    from PySide6.QtCore import QCoreApplication, QThreadPool
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setOrganizationName(APP_ORG)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    family = register_fonts(app)
    install_translations(app)

    from desktop.storage import catalogue as store

    path = Path(db_path) if db_path else paths.default_db_path()

    def refuse(err: UserFacingError) -> int:
        print(f"错误：{err}", file=sys.stderr)
        if not smoke_test:
            from desktop.ui.main_window import show_error

            show_error(None, str(err), "无法启动药目")
        return err.exit_code

    try:
        db = store.open_db(path)
    except UserFacingError as err:
        return refuse(err)
    if not store.editions(db, details=False):  # bundled.needs_install, without importing the installer
        failure = install_catalogue(path, smoke_test=smoke_test)
        if failure is not None:
            return refuse(failure)

    from PySide6.QtCore import QTimer

    from desktop.ui.main_window import MainWindow

    window = MainWindow(db, path)

    def first_frame() -> None:
        elapsed = time.perf_counter() - started
        log.info("first frame painted %.2f s after start (interpreter start not counted)", elapsed)
        if smoke_test:
            print(
                f"smoke test ok: {window.edition_label.text()} · font {family or 'NONE'} · "
                f"first frame painted in {elapsed:.2f} s",
                flush=True,  # bench/startup.py stops its clock on this line, not at process exit
            )
            QTimer.singleShot(0, app.quit)

    window.first_frame_shown.connect(first_frame)
    window.show()
    if not smoke_test:
        from PySide6.QtCore import QTimer

        from desktop.ui.setup_wizard import should_offer

        if should_offer(db):  # first start: the short set-up, once (skippable; F12 opens it again)
            QTimer.singleShot(0, window.run_setup_wizard)
    if smoke_test:
        QTimer.singleShot(30_000, lambda: app.exit(3))  # never painted: fail rather than hang
        code = app.exec()
        window.close()
        QThreadPool.globalInstance().waitForDone(10000)  # let background warm-up finish before teardown
        db.close()
        if code:
            print("错误：主窗口未能显示（30 秒内没有画出第一帧）。", file=sys.stderr)
            return 1
        return 0 if family else 1
    code = app.exec()
    QThreadPool.globalInstance().waitForDone(10000)
    return code

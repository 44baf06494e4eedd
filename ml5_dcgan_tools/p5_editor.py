"""What the p5.js web editor takes on upload, read from its source
(github.com/processing/p5.js-web-editor): ``client/modules/IDE/components/FileUploader.jsx``
uploads with Dropzone, ``maxFilesize: 5`` (MB) and at most 6 files at a time, accepting the
extensions of ``server/utils/fileUtils.js``'s ``fileExtensionsArray``;
``server/controllers/aws.controller.js`` refuses uploads past 250,000,000 bytes per account.
``validate`` warns by these limits and ``sketch --zip`` keeps within them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

EDITOR_MAX_FILE_BYTES = 5_000_000  # Dropzone's maxFilesize: 5 (MB; read as MiB it is larger)
EDITOR_UPLOAD_LIMIT_BYTES = 250_000_000  # per account, all sketches together
EDITOR_FILES_PER_UPLOAD = 6  # Dropzone's maxFiles
EDITOR_EXTENSIONS = frozenset({
    "gif", "jpg", "jpeg", "png", "bmp", "wav", "flac", "ogg", "oga", "mp4", "m4p", "mp3", "m4a",
    "aiff", "aif", "m4v", "aac", "webm", "mpg", "mp2", "mpeg", "mpe", "mpv", "js", "jsx", "html",
    "htm", "css", "json", "csv", "tsv", "obj", "svg", "otf", "ttf", "txt", "mov", "vert", "frag",
    "bin", "xml", "stl", "mtl",
})
"""fileExtensionsArray of the editor's server/utils/fileUtils.js: all it accepts on upload."""


def editor_problem(name: str, size: int) -> str | None:
    """Why the web editor would refuse to upload a file of this name and size, or None."""
    extension = PurePosixPath(name).suffix.lower().removeprefix(".")
    if extension not in EDITOR_EXTENSIONS:
        return f"{name} has a file type the p5.js web editor refuses (.{extension or ' none'})"
    if size > EDITOR_MAX_FILE_BYTES:
        return (f"{name} is {size:,} bytes, over the p5.js web editor's "
                f"{EDITOR_MAX_FILE_BYTES:,}-byte upload limit")
    return None

"""``ml5-dcgan export``: Keras 3 generator -> ml5/TF.js bundle, verified in TF.js."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .checkpoint import checkpoint_option, use_checkpoint


@click.command(
    "export",
    help="""Export a Keras 3 generator as a TF.js layers bundle that ml5.js can load.

SOURCE is a .keras file, a legacy .h5 file, a training run folder (its best checkpoint by
default, see --checkpoint; the EMA generator when the run has one), or a PyTorch DCGAN
generator's state_dict (netG.pth, .pt or .safetensors, pytorch/examples' architecture; read
without torch and without running anything from the file). DIR receives model.json,
group1-shardNofM.bin weight files, manifest.json (ml5 target) and reference.json /
reference-outputs.bin: fixed latents and the Keras outputs for them, which `ml5-dcgan
validate` compares against later.

Before anything is written, every layer is checked against a whitelist of what TF.js 1.7.4
(inside ml5 0.12.2) and 4.22.0 compute exactly like Keras; anything else is refused with the
layer's name. After writing, the bundle is loaded in both TF.js runtimes (Node) and its
outputs must match Keras within 1e-4; only then is DIR put in place.

\b
Examples:
  ml5-dcgan export generator.keras --out bundle
  ml5-dcgan export runs/faces --out faces-bundle --description "Faces, 64x64"
  ml5-dcgan export generator.keras --out small --quantize uint8
  ml5-dcgan export generator.keras --out bundle --zip      # + bundle-p5-editor.zip
  ml5-dcgan export generator.keras --out tfjs-model --target tfjs --quantize float16
  ml5-dcgan export netG.pth --out bundle --torch-reference reference.npz
""",
)
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write the bundle into (created; must be empty or --overwrite).")
@click.option("--description", help="Text for manifest.json's description.")
@click.option("--target", type=click.Choice(["ml5", "tfjs"]), default="ml5", show_default=True,
              help="ml5: channels-first [1, 3, H, W] output in [-1, 1] plus manifest.json. "
                   "tfjs: the model as it is, for tf.loadLayersModel.")
@click.option("--quantize", type=click.Choice(["none", "uint8", "uint16", "float16"]),
              default="none", show_default=True,
              help="Store weights in fewer bytes. uint8 ~4x smaller, uint16 ~2x; float16 needs "
                   "TF.js >= 2 so it is refused for ml5.")
@click.option("--shard-size", type=int, default=4 * 1024 * 1024, show_default=True,
              help="Bytes per weight file (browsers cache files up to 4 MiB).")
@click.option("--overwrite", is_flag=True, help="Replace DIR if it exists.")
@click.option("--no-verify", is_flag=True,
              help="Skip the TF.js check. The bundle is then unproven: not recommended.")
@click.option("--torch-reference", type=click.Path(path_type=Path),
              help="An .npz of latents [N, nz, 1, 1] and PyTorch's outputs [N, nc, H, W] for "
                   "them: the bundle's TF.js outputs must match within 1e-4.")
@click.option("--json", "as_json", is_flag=True, help="Print the export report as JSON.")
@click.option("--zip", "zip_out", is_flag=False, flag_value=".", default=None,
              type=click.Path(path_type=Path), metavar="[OUT.zip]",
              help="Also write the p5.js web editor zip, as `ml5-dcgan sketch DIR --zip` does "
                   "(default: DIR-p5-editor.zip; replaced with --overwrite).")
@checkpoint_option
def export_command(source: Path, out_dir: Path, description: str | None, target: str,
                   quantize: str, shard_size: int, overwrite: bool, no_verify: bool,
                   torch_reference: Path | None, as_json: bool, zip_out: Path | None,
                   checkpoint: str) -> None:
    from ..export import export_bundle

    if zip_out is not None and target != "ml5":
        from ..errors import UsageError

        raise UsageError("--zip needs --target ml5: the editor's sketch reads manifest.json",
                         fix="drop --zip, or export with --target ml5")
    source, _ = use_checkpoint(source, checkpoint)

    if no_verify:
        click.secho("WARNING: --no-verify: the bundle will NOT be checked in TF.js; it may load "
                    "and still compute something else.", fg="yellow", err=True)
    elif not as_json:
        click.echo("exporting and verifying in TF.js 1.7.4 and 4.22.0 ...", err=True)
    report = export_bundle(source, out_dir, description=description, target=target,
                           quantization=quantize, shard_bytes=shard_size, overwrite=overwrite,
                           verify=not no_verify, torch_reference=torch_reference)
    editor_zip = None
    if zip_out is not None:
        from ..web.editor_zip import write_editor_zip

        editor_zip = write_editor_zip(report.out_dir, None if zip_out == Path(".") else zip_out,
                                      force=overwrite)
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "editor_zip": editor_zip and str(editor_zip)},
                              indent=2))
        return
    side = report.output_shape
    click.echo(f"wrote {report.out_dir}/ ({report.bundle_bytes / 1e6:.2f} MB, "
               f"{report.parameters:,} parameters, latent {report.latent_dim}, output {side})")
    if report.labels:
        click.echo(f"  labels ({len(report.labels)}): {', '.join(report.labels)} "
                   "(ml5-dcgan.js passes them; ml5 0.12.2's ml5.DCGAN cannot)")
    for note in report.adaptations:
        click.echo(f"  ml5: {note}")
    if report.quantization != "none":
        click.echo(f"  {report.quantization}: max abs change of the output "
                   f"{report.quantization_error:.2g} (on the [-1, 1] scale)")
    for check in report.runtime_checks:
        accepted = "ml5 post-processing OK" if check.ml5_accepts else "not drawable by ml5"
        click.echo(f"  TF.js {check.version}: max abs error {check.max_abs_error:.2g} "
                   f"({check.seconds:.1f} s, {accepted})")
    for check in report.torch_checks:
        click.echo(f"  TF.js {check.version} vs PyTorch ({torch_reference}): max abs "
                   f"difference {check.max_abs_error:.2g}")
    if editor_zip is not None:
        click.echo(f"wrote {editor_zip} (for the p5.js web editor: docs/how-to/p5-web-editor.md)")
    click.echo("verified" if report.verified else "NOT verified (--no-verify)")

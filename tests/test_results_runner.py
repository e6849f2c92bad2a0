"""Result files, the run summary, the notebook runner and the command line."""

import json
import os

import nbformat
import pytest

from ivan_core.__main__ import main
from ivan_core.tutorial.results import collect, result_row, write_results
from ivan_core.tutorial.runner import find_notebooks, run_all


def test_write_and_collect(tmp_path):
    write_results(tmp_path / "03_a", [result_row("03_a", "t1_to_t2", "PSNR", 30.5, 31.0)])
    write_results(tmp_path / "04_b", [result_row("04_b", "t1pd_to_t2", "SSIM", 0.9)])
    rows = collect(tmp_path)
    assert [r["notebook"] for r in rows] == ["03_a", "04_b"]
    assert json.loads((tmp_path / "summary.json").read_text())[1]["paper"] is None
    md = (tmp_path / "summary.md").read_text()
    assert "| 03_a | t1_to_t2 | PSNR | 30.5 | 31 |" in md


def test_the_paper_spread_rounds_as_printed(tmp_path):
    write_results(tmp_path / "03_a", [result_row("03_a", "t1_to_t2", "PSNR", 25.58, 39.4183, paper_std=2.2150)])
    collect(tmp_path)
    assert "| 39.42 ± 2.22 |" in (tmp_path / "summary.md").read_text()  # the paper prints 2.2150


def test_bad_result_row(tmp_path):
    with pytest.raises(ValueError, match="keys"):
        write_results(tmp_path, [{"task": "x", "value": 1}])


def test_run_all_executes_notebooks_and_summarises(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    params = nbformat.v4.new_code_cell('profile = "tutorial"\noutput_dir = "x"')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "from ivan_core.tutorial.results import result_row, write_results\n"
        "write_results(output_dir, [result_row('01_demo', 'demo', 'profile is smoke', profile == 'smoke')])")
    nb = nbformat.v4.new_notebook(cells=[params, body])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, books / "01_demo.ipynb")
    (books / "notes.ipynb").write_text("not numbered, not run")
    rows = run_all("smoke", tmp_path / "out", folder=books)
    assert rows == [result_row("01_demo", "demo", "profile is smoke", 1.0)]
    assert (tmp_path / "out" / "01_demo.ipynb").exists()
    assert json.loads((tmp_path / "out" / "timings.json").read_text())[0]["notebook"] == "01_demo"
    nbformat.write(nb, books / "02_again.ipynb")
    run_all("smoke", tmp_path / "out", only=["02"], folder=books)  # a partial rerun keeps the others
    timed = json.loads((tmp_path / "out" / "timings.json").read_text())
    assert [t["notebook"] for t in timed] == ["01_demo", "02_again"]


def test_run_all_passes_pretrained_only_to_notebooks_that_declare_it(tmp_path):
    books = tmp_path / "books"
    books.mkdir()
    for name, declared in (("01_plain", 'profile = "tutorial"\noutput_dir = "x"'),
                           ("02_loads", 'profile = "tutorial"\noutput_dir = "x"\npretrained = True')):
        params = nbformat.v4.new_code_cell(declared)
        params.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell("print('ran')")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, books / f"{name}.ipynb")
    run_all("smoke", tmp_path / "out", folder=books, train=True)
    injected = {name: "".join(c.source for c in nbformat.read(tmp_path / "out" / f"{name}.ipynb", 4).cells
                              if "injected-parameters" in c.metadata.get("tags", []))
                for name in ("01_plain", "02_loads")}
    assert "pretrained =" not in injected["01_plain"]
    assert "pretrained = False" in injected["02_loads"]


def test_run_all_in_parallel_runs_every_notebook_with_its_share_of_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    books = tmp_path / "books"
    books.mkdir()
    for name in ("01_a", "02_b", "03_c"):
        params = nbformat.v4.new_code_cell('profile = "tutorial"\noutput_dir = "x"')
        params.metadata["tags"] = ["parameters"]
        body = nbformat.v4.new_code_cell(
            "import os\nfrom ivan_core.tutorial.results import result_row, write_results\n"
            f"write_results(output_dir, [result_row('{name}', 'demo', 'threads', int(os.environ['OMP_NUM_THREADS'])),\n"
            f"                             result_row('{name}', 'demo', 'in its folder', os.getcwd().endswith('books'))])")
        nb = nbformat.v4.new_notebook(cells=[params, body])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, books / f"{name}.ipynb")
    rows = run_all("smoke", tmp_path / "out", folder=books, jobs=2)
    threads = max(1, (os.cpu_count() or 1) // 2)
    assert [(r["notebook"], r["metric"], r["value"]) for r in rows] == [
        (n, metric, value) for n in ("01_a", "02_b", "03_c") for metric, value in (("threads", threads), ("in its folder", 1))]
    assert [t["notebook"] for t in json.loads((tmp_path / "out" / "timings.json").read_text())] == ["01_a", "02_b", "03_c"]
    assert os.environ["OMP_NUM_THREADS"] == "7"  # restored for the caller
    with pytest.raises(ValueError, match="jobs"):
        run_all("smoke", tmp_path / "out", folder=books, jobs=0)


def test_find_notebooks_filters_and_reports(tmp_path):
    assert [p.stem[:2] for p in find_notebooks()][:3] == ["00", "01", "02"]
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        find_notebooks(tmp_path)


def test_unknown_profile_is_refused(tmp_path):
    with pytest.raises(ValueError, match="smoke"):
        run_all("huge", tmp_path)


def test_benchmark_command(tmp_path, capsys):
    variants = ["fp32", "bf16", "channels_last", "reversible"]  # "compile": test_training trains with it (minutes)
    main(["benchmark", "--sizes", "16", "--models", "smoke", "--steps", "1", "--variants", *variants,
          "--out", str(tmp_path / "b.json")])
    rows = {r["variant"]: r for r in json.loads((tmp_path / "b.json").read_text())}
    assert set(rows) == set(variants)
    fp32 = rows["fp32"]
    assert fp32["images_per_s"] > 0 and fp32["size"] == 16 and fp32["n_blocks"] == 2
    assert fp32["flops_per_step"] > 0 and fp32["peak_source"] == "measured float32 matmul"
    assert fp32["utilisation"] == pytest.approx(fp32["achieved_flops"] / fp32["peak_flops"])
    assert rows["reversible"]["flops_per_step"] > fp32["flops_per_step"]  # backward recomputes the blocks
    assert rows["reversible"]["saved_mb"] < fp32["saved_mb"]
    assert 0 < fp32["outside_share"] < 1
    assert all(r["peak_mb"] is None or r["peak_mb"] > 10 for r in rows.values())  # None: no allocator stats, no /proc
    assert "% of" in capsys.readouterr().out


def test_fusion_notebook_skips_harvard_cleanly_without_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("IVAN_AANLIB", "")  # as on a machine without the Harvard pairs
    rows = run_all("smoke", tmp_path, only=["06"])
    assert rows and all("(phantom" in r["task"] and "Harvard" not in r["task"] for r in rows)
    assert any("(phantom, cross-validated)" in r["task"] for r in rows)  # the smoke cross-validation
    executed = nbformat.read(tmp_path / "06_t2ct_fusion.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "Harvard atlas pairs not found" in printed


def test_budget_table_lists_steps_and_seconds():
    from ivan_core.tutorial.experiment import Method
    from ivan_core.tutorial.reporting import budget_table

    table = budget_table({"iVAN": Method(lambda s: {}, 3000, 812.34), "copy input": Method(lambda s: {})})
    assert table.to_dict("records") == [{"method": "iVAN", "training steps": 3000, "seconds": 812.3},
                                        {"method": "copy input", "training steps": 0, "seconds": 0.0}]


def test_versus_paper_lists_the_rows_with_a_paper_number_and_why():
    from ivan_core.tutorial.reporting import versus_paper

    rows = [result_row("03", "t1_to_t2", "PSNR_full T2 (iVAN)", 28.18, 39.4183, std=0.293, paper_std=2.215),
            result_row("03", "t1_to_t2", "PSNR_head T2 (iVAN)", 25.58, 39.4183),
            result_row("03", "t1_to_t2", "PSNR_full T2 (U-Net)", 26.0),
            result_row("03", "t1_to_t2", "SSIM_full T2 (iVAN)", 0.91, 0.9935)]
    table = versus_paper(rows, {"PSNR": "phantom, not BrainWeb", "": "other"}, only="_full")
    assert list(table.columns) == ["task", "quantity", "paper", "ours", "why they differ"]
    assert table.to_dict("records") == [
        {"task": "t1_to_t2", "quantity": "PSNR_full T2 (iVAN)", "paper": "39.42 ± 2.22", "ours": "28.18 ± 0.293",
         "why they differ": "phantom, not BrainWeb"},
        {"task": "t1_to_t2", "quantity": "SSIM_full T2 (iVAN)", "paper": "0.9935", "ours": "0.91", "why they differ": "other"}]

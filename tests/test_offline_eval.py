import json

import pytest
from typer.testing import CliRunner

from agentic_recsys.cli.main import app as cli
from agentic_recsys.data.dataset import Dataset
from agentic_recsys.engines.registry import ENGINE_NAMES
from agentic_recsys.engines.testing import write_synthetic_dataset
from agentic_recsys.errors import DataError
from agentic_recsys.evaluation.offline import FUSIONS, LINEAR, OfflineConfig, evaluate_offline


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_synthetic_dataset(tmp_path_factory.mktemp("eval") / "syn", n_users=60)


def test_every_engine_and_the_fusion_are_reported(folder):
    grids = {"sequential": [{"window": 1}, {"window": 3}], "itemknn": [{"half_life": None}]}
    report = evaluate_offline(Dataset.open(folder), OfflineConfig(grids=grids))
    by_name = {r.name: r for r in report.rows}
    assert list(by_name) == [*ENGINE_NAMES, *FUSIONS]
    assert report.users == 60 and report.items == 40
    for row in report.rows:
        assert 0.0 <= row.ndcg <= row.hr <= 1.0
        assert row.hr <= row.hr_sampled  # fewer competitors can only help
    assert by_name["sequential"].params["window"] in {1, 3}
    assert by_name["itemknn"].params["half_life"] is None
    assert by_name["sequential"].ndcg > by_name["popularity"].ndcg  # the walk is learnable
    assert by_name[LINEAR].params == report.weights
    assert report.chosen_fusion in FUSIONS
    assert by_name[report.chosen_fusion].valid_ndcg == max(by_name[f].valid_ndcg for f in FUSIONS)
    assert report.peak_rss_mb > 0


def test_cli_prints_json_and_is_seeded(folder):
    runner = CliRunner()
    first = runner.invoke(cli, ["eval", "offline", str(folder), "--json", "--seed", "3"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["eval", "offline", str(folder), "--json", "--seed", "3"])
    rows = [{k: r[k] for k in ("name", "hr", "ndcg")} for r in json.loads(first.output)["rows"]]
    assert rows == [
        {k: r[k] for k in ("name", "hr", "ndcg")} for r in json.loads(again.output)["rows"]
    ]


def test_cli_table_names_the_engines(folder):
    result = CliRunner().invoke(cli, ["eval", "offline", str(folder)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for name in (*ENGINE_NAMES, *FUSIONS, "chosen by validation", "peak memory"):
        assert name in result.output


def test_cli_rejects_a_folder_that_is_not_a_dataset(tmp_path):
    result = CliRunner().invoke(cli, ["eval", "offline", str(tmp_path)])
    assert isinstance(result.exception, DataError)

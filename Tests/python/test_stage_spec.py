"""The Snakefile against the one description of stages and products (`ProductFile`,
`StageCommand`, `StageOption` in Sources/PipelineRunner/ProductFile.swift), as `digs run
--print-plan` prints it: the same product files, and command lines the CLI accepts."""
import json
import re

import pytest

from digs_cli import ROOT, digs

SNAKEFILE = (ROOT / "pipelines" / "Snakefile").read_text()


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    """The quickstart's plan with an observed set (an object table), so every rule has its stage."""
    pipeline = tmp_path_factory.mktemp("spec") / "quickstart.yaml"
    pipeline.write_text((ROOT / "pipelines" / "quickstart.yaml").read_text() + "\nobserved:\n  table: objects.csv\n")
    return json.loads(digs("run", "--print-plan", pipeline).stdout)


def snakefile_products():
    """Product file names the Snakefile reads or writes (shard files as the product they make)."""
    merged = re.search(r'product="([^"]+)"', SNAKEFILE).group(1).split("|")
    names = set()
    for raw in re.findall(r"\{OUT\}/([A-Za-z0-9_{}./]+)", SNAKEFILE):
        raw = raw.replace("{{", "{").replace("}}", "}")
        if raw.startswith("shards/"):
            raw = re.sub(r"\.\{i\}", "", raw[len("shards/"):].replace("{w.product}", "{product}"))
        # Each wildcard takes the values its constraint allows: {set} train|test, {obs} test|observed.
        for set_ in ("train", "test"):
            for obs in ("test", "observed"):
                for product in merged:
                    names.add(raw.replace("{set}", set_).replace("{wildcards.set}", set_).replace("{obs}", obs).replace("{product}", product))
    return {n for n in names if "{" not in n}


def test_snakefile_names_the_products_of_the_plan(plan):
    assert {"ingest", "infer-observed", "export-observed"} <= {s["name"] for s in plan}
    planned = {s["output"] for s in plan if s.get("output")} | {i for s in plan for i in s["inputs"]}
    assert planned, plan
    assert snakefile_products() == planned


def test_snakefile_command_lines_are_accepted_by_the_cli(plan):
    def command(arguments):
        flags = [k for k, a in enumerate(arguments) if a.startswith("--")]
        return " ".join(arguments[:flags[0]] if flags else arguments)
    commands = {command(s["arguments"]) for s in plan}
    shells = re.findall(r'digs\(f?"([^"]+)"\)', SNAKEFILE)
    assert len(shells) >= 9
    for shell in shells:
        words = shell.split()
        command = " ".join(words[:2]) if " ".join(words[:2]) in commands else words[0]
        assert command in commands, (command, commands)
        accepted = digs(*command.split(), "--help").stdout
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-o)\b", shell):
            assert re.search(rf"(^|[\s,]){re.escape(flag)}[\s,]", accepted, re.M), (shell, flag)


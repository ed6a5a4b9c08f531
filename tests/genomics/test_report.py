"""genomics.report: one self-contained HTML page per run folder, read from the files a run leaves; and the
pictures it embeds (minidl.teaching.style, minidl.teaching.plot)."""

import base64
import html.parser
import json
import os
import re
import shutil

import numpy
import pytest

from genomics.cli.main import main
from genomics.report import ReportError, read_run_folder, write_report
from genomics.report.demography import typical_parameters
from genomics.report.sections import prediction_rows
from genomics.scenario import catalogue

SECTION_IDS = ["settings", "scenarios", "encoding", "training", "calibration", "confusion", "abc", "adequacy",
               "predictions", "versions"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny ensemble run of the built-in three-population scenarios (seconds): RUN/model.npz, evaluation.json."""
    folder = tmp_path_factory.mktemp("report")
    sims, out = str(folder / "sims"), str(folder / "run")
    assert main(["simulate", "three_populations", "--replicates", "16", "--out", sims, "--workers", "1"]) == 0
    assert main(["train", sims, "--out", out, "--epochs", "2", "--n-snps", "16", "--ensemble", "2"]) == 0
    return out


@pytest.fixture(scope="module")
def report(run, tmp_path_factory):
    """The run's report, written once for the tests that read it."""
    return write_report(run, str(tmp_path_factory.mktemp("page") / "report.html"))


class PageParts(html.parser.HTMLParser):
    """The section ids, image sources, script tags and link targets of a page."""

    def __init__(self):
        super().__init__()
        self.sections, self.images, self.scripts, self.links = [], [], 0, []

    def handle_starttag(self, tag, attributes):
        attributes = dict(attributes)
        if tag == "section":
            self.sections.append(attributes.get("id"))
        elif tag == "img":
            self.images.append(attributes["src"])
        elif tag == "script":
            self.scripts += 1
        elif tag in ("a", "link"):
            self.links.append(attributes.get("href"))


def parts_of(path):
    parser = PageParts()
    parser.feed(open(path, encoding="utf-8").read())
    return parser


def test_the_report_of_a_run_is_one_page_with_every_section_and_nothing_outside_it(report):
    path = report
    page = parts_of(path)
    assert page.sections == SECTION_IDS
    assert page.scripts == 0
    assert all(link.startswith("#") for link in page.links)  # links only within the page
    assert page.images and all(src.startswith(("data:image/svg+xml;base64,", "data:image/png;base64,"))
                               for src in page.images)
    for src in page.images:  # every embedded picture decodes to an SVG document or a PNG
        content = base64.b64decode(src.split(",", 1)[1])
        assert content.startswith(b"\x89PNG") or b"<svg" in content[:2000]
    text = open(path, encoding="utf-8").read()
    assert not re.search(r"(src|href)=\"(https?:)?//", text)


def test_the_report_shows_the_runs_own_confusion_counts_and_row_rates(run, report):
    evaluation = json.load(open(os.path.join(run, "evaluation.json")))
    counts = numpy.array(evaluation["confusion_matrix"])
    text = open(report, encoding="utf-8").read()
    confusion = text[text.index('<section id="confusion">'):text.index('<section id="abc">')]
    for row in counts:
        for count in row:
            assert f"<td>{count} ({count / row.sum():.0%})</td>" in confusion


def test_sections_a_run_lacks_are_each_one_absent_line(run, report):
    text = open(report, encoding="utf-8").read()
    for section in ("abc", "adequacy", "predictions"):
        body = text[text.index(f'<section id="{section}">'):].split("</section>", 1)[0]
        assert body.count('<p class="absent">') == 1 and "<table>" not in body


def test_the_ensembles_members_and_kept_epochs_are_in_the_training_section(run, report):
    metadata = read_run_folder(run).metadata
    text = open(report, encoding="utf-8").read()
    training = text[text.index('<section id="training">'):text.index('<section id="calibration">')]
    for k, kept in enumerate(metadata["ensemble"]["member_best_epochs"]):
        assert f"<td>member {k + 1}</td>" in training and f"<td>{kept}</td>" in training


def test_a_demo_folder_is_reported_from_its_run_folder_and_the_default_path_is_inside_it(run, tmp_path):
    demo = tmp_path / "demo"
    shutil.copytree(run, demo / "run")
    assert write_report(str(demo)) == str(demo / "report.html")
    assert parts_of(str(demo / "report.html")).sections == SECTION_IDS


def test_a_folder_that_is_not_a_run_is_one_sentence_and_writes_nothing(tmp_path):
    (tmp_path / "notes.json").write_text('{"hello": 1}')
    with pytest.raises(ReportError, match="holds no genomics bundle"):
        write_report(str(tmp_path), str(tmp_path / "report.html"))
    with pytest.raises(ReportError, match="does not exist"):
        write_report(str(tmp_path / "missing"))
    assert sorted(os.listdir(tmp_path)) == ["notes.json"]


def test_a_report_path_in_a_missing_folder_is_refused_before_any_work(run, tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        write_report(run, str(tmp_path / "no" / "report.html"))


def test_a_regressions_prediction_rows_carry_their_widest_conformal_interval():
    prediction = {"columns": ["N"], "output": "estimates", "data_sets": [
        {"data_set": "x", "values": [1200.0], "low_0.5": [1100.0], "high_0.5": [1300.0], "low_0.9": [900.0],
         "high_0.9": [1500.0]}]}
    header, rows = prediction_rows(prediction)
    assert header == ["data", "N", "adequacy"]
    assert rows == [["x", "1200.000 [900.000, 1500.000] (90%)", ""]]


def test_the_typical_draw_is_the_geometric_middle_of_a_log_uniform_prior():
    scenario = catalogue.get("divergence_with_migration")
    middle = typical_parameters(scenario)
    assert middle["m"] == pytest.approx(numpy.sqrt(1e-5 * 1e-3))
    assert middle["T1"] == pytest.approx(numpy.sqrt(1e3 * 1e5))


def test_every_picture_is_written_as_png_svg_and_pdf(tmp_path):
    from minidl import plot

    path = plot.confusion_matrix([[3, 1], [0, 4]], str(tmp_path / "cm.png"), ["a", "b"])
    for extension, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        assert open(os.path.splitext(path)[0] + extension, "rb").read()[:len(magic)] == magic
    svg = open(tmp_path / "cm.svg").read()
    assert "75%" in svg and "25%" in svg and "100%" in svg  # rates beside the counts


def test_the_pca_variance_shares_are_the_squared_singular_values_shares():
    from genomics.baselines.adequacy import Cloud, variance_shares

    rng = numpy.random.default_rng(3)
    values = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5)) + rng.normal(size=5)
    cloud = Cloud.fit(values, numpy.repeat([0, 1], 100), 2, most=5)
    standardised = (values - values.mean(axis=0)) / values.std(axis=0)
    singular = numpy.linalg.svd(standardised, compute_uv=False)
    expected = singular**2 / (singular**2).sum()
    numpy.testing.assert_allclose(variance_shares(cloud, values), expected[:cloud.points.shape[1]])


CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900"]


def headless_chromium(user_data_dir):
    """Debian's chromium driven by Selenium through Debian's chromedriver; skipped where either is missing,
    except under CI=1, where .ci/run installs them and their absence is a failure."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        webdriver = None
    if webdriver is None or not (CHROMIUM and CHROMEDRIVER):
        missing = "selenium" if webdriver is None else "chromium and chromium-driver (apt-get install)"
        if os.environ.get("CI"):
            pytest.fail(f"CI=1 runs the browser test: {missing} missing")
        pytest.skip(f"{missing} not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*BROWSER_FLAGS, f"--user-data-dir={user_data_dir}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def check_in_headless_chromium(page: str, profile: str) -> None:
    """Open the report ``page`` in headless Chromium (a new, empty ``profile`` folder): no console error or
    warning, every section present and shown, and every picture decoded with a non-zero natural size."""
    from selenium.webdriver.common.by import By

    assert not os.listdir(profile)  # a new, empty profile
    browser = headless_chromium(profile)
    try:
        browser.get("file://" + os.path.abspath(page))
        log = browser.get_log("browser")
        assert [entry for entry in log if entry["level"] in ("SEVERE", "WARNING")] == []
        sections = browser.find_elements(By.TAG_NAME, "section")
        assert [section.get_attribute("id") for section in sections] == SECTION_IDS
        assert all(section.is_displayed() for section in sections)
        headings = [heading.text for heading in browser.find_elements(By.CSS_SELECTOR, "section > h2")]
        assert "Confusion matrix" in headings and "Training curves" in headings
        images = browser.find_elements(By.TAG_NAME, "img")
        sizes = [browser.execute_script("return arguments[0].complete && "
                                        "[arguments[0].naturalWidth, arguments[0].naturalHeight]", image)
                 for image in images]
        assert images and all(size and min(size) > 0 for size in sizes)  # every picture decoded and drawn
    finally:
        browser.quit()


def test_the_report_loads_in_headless_chromium_without_console_errors_and_shows_its_sections(report, tmp_path):
    profile = tmp_path / "profile"
    profile.mkdir()
    check_in_headless_chromium(report, str(profile))


def test_ensemble_curves_name_every_member_and_tick_whole_epochs(tmp_path):
    from minidl import plot

    members = [{"loss": [1.0, 0.8, 0.7], "val_loss": [1.1, 0.9, 0.95]}, {"loss": [1.2, 0.9], "val_loss": [1.0, 0.85]}]
    plot.training_curves(members, str(tmp_path / "curves.png"), ["member 1", "member 2"], [2, 2])
    svg = open(tmp_path / "curves.svg").read()
    assert all(name in svg for name in ("member 1", "member 2", "training", "validation", "kept epoch"))
    assert not re.search(r">\s*\d\.5\s*<", svg)  # no half-epoch tick labels


def test_the_pca_axes_carry_the_share_of_variance_of_each_component(tmp_path):
    from minidl import plot

    rng = numpy.random.default_rng(0)
    plot.scatter_groups(rng.normal(size=(30, 2)), numpy.repeat([0, 1, 2], 10), ["a", "b", "c"], [0.1, 0.2],
                        str(tmp_path / "pca.png"), variance_shares=[0.634, 0.127])
    svg = open(tmp_path / "pca.svg").read()
    assert "principal component 1 (63% of the variance)" in svg
    assert "principal component 2 (13% of the variance)" in svg


def test_outputs_of_compare_check_and_predict_in_the_folder_fill_their_sections(run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(run, folder)
    names = read_run_folder(run).metadata["scenario_names"]
    scores = {"accuracy": 0.625, "log_loss": 0.9, "brier": 0.5, "ece": 0.1}
    files = {"my_comparison.json": {"scenario_names": names, "notes": ["a note"], "settings": {},
                                    "budgets": {"ABC rejection": "144 simulations in the reference table"},
                                    "results": {"ABC rejection": {"accuracy": 0.625,
                                                                  "scores": {"ABC rejection": scores}}}},
             "adequacy.json": {"scenario_names": names, "tail_share": [0.0, 0.25, 0.5], "adequate": True,
                               "alpha": 0.01},
             "windows.json": {"scenario_names": names, "columns": names, "output": "calibrated probabilities",
                              "windows": [{"chromosome": "1", "start": 1, "end": 200000, "snps": 541,
                                           "values": [0.125, 0.5, 0.375], "member_sd": [0.01, 0.02, 0.03]}],
                              "haplotype_seed": 7}}
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content))
    text = open(write_report(str(folder)), encoding="utf-8").read()
    body = {section: text[text.index(f'<section id="{section}">'):].split("</section>", 1)[0]
            for section in ("abc", "adequacy", "predictions", "versions")}
    assert "<td>ABC rejection</td>" in body["abc"] and "144 simulations" in body["abc"] and "a note" in body["abc"]
    assert "<td>0.250</td>" in body["adequacy"] and "adequate" in body["adequacy"]
    assert "<td>1:1-200000 (541 SNPs)</td><td>0.125 ± 0.010</td>" in body["predictions"]
    assert "haplotype seed (windows.json)</td><td>7</td>" in body["versions"]
    assert all('class="absent"' not in part for part in body.values())


def test_the_migration_key_of_a_demography_lies_clear_of_every_deme(tmp_path):
    """The words that say what the dashed arrows are (with the rate) overlap no deme's box: over the tallest
    deme they hid its top."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    from genomics.report.demography import _draw_boxes

    scenario = catalogue.get("divergence_with_migration")
    graph = scenario.demography(typical_parameters(scenario)).to_demes()
    figure, axis = pyplot.subplots(figsize=(5.2, 4.0))
    _draw_boxes(graph, axis)
    figure.tight_layout()
    renderer = figure.canvas.get_renderer()
    keys = [text for text in [axis.xaxis.label, *axis.texts] if "migration" in text.get_text()]
    assert [key.get_text() for key in keys] == ["dashed arrows: migration, rate 0.0001 per generation"]
    boxes = [patch.get_window_extent(renderer) for patch in axis.patches]
    assert boxes and not any(keys[0].get_window_extent(renderer).overlaps(box) for box in boxes)
    pyplot.close(figure)


def test_an_ensembles_evaluation_keeps_every_members_curves_and_the_report_draws_them_all(run, report):
    evaluation = json.load(open(os.path.join(run, "evaluation.json")))
    ensemble = read_run_folder(run).metadata["ensemble"]
    assert [len(history["loss"]) for history in evaluation["member_histories"]] == ensemble["member_epochs_run"]
    assert evaluation["member_histories"][0] == evaluation["history"]
    text = open(report, encoding="utf-8").read()
    assert "holds the curves of member 1 only" not in text
    training = text[text.index('<section id="training">'):text.index('<section id="calibration">')]
    svg = base64.b64decode(parts_of_text(training)[0].split(",", 1)[1]).decode()
    assert "member 1 (init seed" in svg and "member 2 (init seed" in svg


def parts_of_text(fragment):
    parser = PageParts()
    parser.feed(fragment)
    return parser.images

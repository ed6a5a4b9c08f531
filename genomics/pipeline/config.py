"""How a network is trained (``TrainingConfig``) and which encoding and network a design gets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


from genomics.learning import networks as models
from genomics.learning.user_networks import INPUT_LAYOUTS, is_user_network
from genomics.scenario.design import SamplingDesign
from genomics.encoding.encoder import Encoder, encoding_for_design
from genomics.errors import SettingError


@dataclass(frozen=True)
class TrainingConfig:
    """How a network is trained; these defaults (and help texts) are the command line's."""

    network: str = field(default=None, metadata={
        "help": "default: chosen from the encoding (cnn2d for a frequency spectrum, else cnn1d); "
                "cnn1d: haplotypes as channels (Flagel et al.); cnn2d: 2-D over haplotypes x SNPs; perez: Perez et "
                "al. 2022's Conv1D network; flagel: Flagel et al. 2019's genotype branch; sites: the same network "
                "on every SNP, then the mean over SNPs (with --layout population_frequencies); exchangeable: the "
                "same features on every haplotype, their mean within each population (invariant to the order of "
                "the haplotypes); or your own network: FILE.py:FUNCTION (called with the input shape and the "
                "number of scenarios; your code is run) or a .keras file whose architecture is used"})
    network_input: str = field(default="sites-by-haplotypes", metadata={
        "help": "with --network FILE: how your network takes one replicate: sites-by-haplotypes (SNPs x haplotypes "
                "as channels, as Perez et al.'s networks) or image (haplotypes x SNPs x channels)",
        "choices": tuple(INPUT_LAYOUTS)})
    keep_weights: bool = field(default=False, metadata={
        "help": "with --network a .keras file: start from the file's weights instead of new ones"})
    augment: str = field(default="none", metadata={
        "help": "permute: shuffle the haplotypes within each population anew at every training step (for "
                "networks that are not invariant to their order)", "choices": models.AUGMENTATIONS})
    fresh_masks: bool = field(default=False, metadata={
        "help": "under a design with missing calls: draw a new mask of the design for every training replicate at "
                "every epoch (the other splits keep their simulated masks); with --stream too, read from the shards"})
    stream: bool = field(default=False, metadata={
        "help": "read the replicates from their shards batch by batch, encoding each training batch while the "
                "previous one trains, and the validation, calibration and test replicates a chunk at a time: "
                "memory holds --shards-in-memory shards and a few batches, whatever the number of simulations"})
    shards_in_memory: int = field(default=4, metadata={"help": "with --stream: shards held in memory at once"})
    on_the_fly: int = field(default=0, metadata={
        "help": "train on N fresh replicates of each scenario every epoch, simulated in worker processes while "
                "the previous epoch trains, instead of on the folder's replicates; the folder's replicates are "
                "then all held out (validation, calibration and test, in proportion to their fractions)"})
    simulation_workers: int = field(default=1, metadata={
        "help": "with --on-the-fly: simulation processes beside training"})
    epochs: int = field(default=30, metadata={"help": "most epochs (early stopping)"})
    batch_size: int = field(default=32, metadata={"help": "replicates per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate"})
    patience: int = field(default=5, metadata={"help": "epochs without a better --monitor value before stopping"})
    test_fraction: float = field(default=0.2, metadata={"help": "replicates held out for the test"})
    validation_fraction: float = field(default=0.15, metadata={"help": "replicates for early stopping"})
    calibration_fraction: float = field(default=0.1, metadata={
        "help": "replicates on which the temperature of the probabilities is fitted (0: no calibration; the "
                "outputs are then labelled as raw softmax values)"})
    seed: int = field(default=0, metadata={"help": "the default of --split-seed and --init-seed"})
    split_seed: int = field(default=None, metadata={"help": "seed of the train/validation/calibration/test split"})
    init_seed: int = field(default=None, metadata={"help": "seed of the initial weights, dropout and shuffles"})
    dropout: float = field(default=None, metadata={"help": "every dropout rate of the network (default: its own)"})
    monitor: str = field(default="val_loss", metadata={
        "help": "what early stopping (and --reduce-lr-patience) watches; the best epoch's weights are kept",
        "choices": ("val_loss", "val_accuracy")})
    reduce_lr_patience: int = field(default=0, metadata={
        "help": "epochs without improvement before the learning rate is multiplied by 0.2 (0: never)"})
    replicates_per_scenario: int = field(default=0, metadata={
        "help": "use only the first N replicates of each scenario (a learning curve; 0: all)"})
    task: str = field(default="classification", metadata={
        "help": "classification of scenarios, or regression: estimate the --targets parameters",
        "choices": ("classification", "regression")})
    ensemble: int = field(default=1, metadata={
        "help": "train K networks from the init seeds s, s+1, ..., s+K-1 and average their calibrated probabilities "
                "(a classification; the spread of the members is reported)"})
    targets: str = field(default=None, metadata={
        "help": "with --task regression: comma-separated parameter names to estimate (replicates of scenarios "
                "without them are left out)"})

    def __post_init__(self) -> None:
        if self.network is not None and self.network not in models.KINDS and not is_user_network(self.network):
            raise ValueError(f"network must be one of {', '.join(models.KINDS)}, FILE.py:FUNCTION or a .keras file, "
                             f"got {self.network!r}")
        if self.network_input not in INPUT_LAYOUTS:
            raise ValueError(f"network_input must be one of {', '.join(INPUT_LAYOUTS)}, got {self.network_input!r}")
        if self.user_network and self.task == "regression":
            raise SettingError("{network}: your own network is trained as a scenario classifier, not for {task} "
                               "regression")
        if self.keep_weights and not (self.user_network and not self.network.endswith(".py")
                                      and ".py:" not in self.network):
            raise SettingError("{keep_weights} applies to a {network} given as a .keras file")
        if self.augment not in models.AUGMENTATIONS:
            raise ValueError(f"augment must be one of {', '.join(models.AUGMENTATIONS)}, got {self.augment!r}")
        if self.network == "exchangeable" and self.augment == "permute":
            raise SettingError("{network} exchangeable gives the same output for any order of the haplotypes "
                               "within a population: {augment} permute would change nothing")
        if self.on_the_fly and (self.stream or self.fresh_masks or self.task == "regression"):
            raise SettingError("{on_the_fly} trains a scenario classifier on fresh replicates: it does not combine "
                               "with {stream}, {fresh_masks} or {task} regression")
        for name, low in (("epochs", 1), ("batch_size", 1), ("patience", 0), ("reduce_lr_patience", 0),
                          ("replicates_per_scenario", 0), ("ensemble", 1), ("shards_in_memory", 1),
                          ("on_the_fly", 0), ("simulation_workers", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.dropout is not None and not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.monitor not in ("val_loss", "val_accuracy"):
            raise ValueError(f"monitor must be val_loss or val_accuracy, got {self.monitor!r}")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"task must be classification or regression, got {self.task!r}")
        if self.task == "regression" and not self.target_list:
            raise ValueError("task regression needs targets: the parameter names to estimate, e.g. T1,N_A")
        if self.task == "regression" and self.monitor != "val_loss":
            raise ValueError("a regression is monitored by val_loss (it has no accuracy)")
        if self.task == "regression" and self.ensemble > 1:
            raise ValueError("ensemble averages the probabilities of scenario classifiers; a regression trains one "
                             "network")
        if self.task == "classification" and self.targets:
            raise ValueError("targets are estimated with task regression; classification predicts scenarios")
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < float("inf")):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        for name in ("seed", "split_seed", "init_seed"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
        fractions = (self.validation_fraction, self.calibration_fraction, self.test_fraction)
        if not (0 < self.test_fraction < 1 and 0 < self.validation_fraction < 1 and 0 <= self.calibration_fraction < 1
                and sum(fractions) < 1):
            raise ValueError(f"test_fraction and validation_fraction must be in (0, 1), calibration_fraction in "
                             f"[0, 1), and together below 1 (early stopping watches the validation loss), got "
                             f"{self.test_fraction}, {self.validation_fraction} and {self.calibration_fraction}")

    @property
    def user_network(self) -> bool:
        """Whether ``network`` is the user's own (``FILE.py:FUNCTION`` or a ``.keras`` file), not a preset."""
        return self.network is not None and is_user_network(self.network)

    @property
    def input_kind(self) -> str:
        """The ``networks.model_input`` layout the network takes: the preset itself, or the user network's
        ``network_input`` (sites-by-haplotypes: ``cnn1d``; image: ``cnn2d``)."""
        return INPUT_LAYOUTS[self.network_input] if self.user_network else self.network

    @property
    def target_list(self) -> list[str]:
        return [name.strip() for name in (self.targets or "").split(",") if name.strip()]

    @property
    def seeds(self) -> dict:
        """The seed of each job: the split and the network's initial weights (``seed`` where not given)."""
        return {"split": self.seed if self.split_seed is None else self.split_seed,
                "init": self.seed if self.init_seed is None else self.init_seed}


def check_layout(config: TrainingConfig, layout: str) -> None:
    """One sentence when the network or the augmentation needs one image row per haplotype and ``layout``
    has none."""
    if layout != "haplotypes" and (config.network == "exchangeable" or config.augment == "permute"):
        raise ValueError(f"{'the exchangeable network' if config.network == 'exchangeable' else 'augment permute'} "
                         f"needs one image row per haplotype, but layout {layout} has "
                         + ("one row per population" if layout == "population_frequencies" else "a frequency spectrum"))


def choose_encoding_and_network(design: SamplingDesign, encoder: Encoder | dict | None,
                                config: TrainingConfig) -> tuple[Encoder, TrainingConfig, dict]:
    """(the encoder, the config with its network, and why each: one line each) for a design; what was given
    (an Encoder, encoder settings, ``config.network``) is kept, the rest is chosen from the design."""
    if isinstance(encoder, Encoder):
        encoding = f"{encoder.layout} (given)"
    else:
        encoder, encoding = encoding_for_design(design, **(encoder or {}))
    encoding = f"{encoder.layout}" + (f", projected to {encoder.sfs_haplotypes} haplotypes per population"
                                      if encoder.sfs_haplotypes else "") + f": {encoding}"
    if config.network is None:
        kind, why = models.network_for(encoder.layout)
        config, network = replace(config, network=kind), f"{kind}: {why} (the default for {encoder.layout})"
    else:
        network = f"{config.network} (given)"
    return encoder, config, {"encoding": encoding, "network": network}

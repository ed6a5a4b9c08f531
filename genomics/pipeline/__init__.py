"""The stages wired together over a simulation folder and a bundle, one job per module.

=======================  ==================================================================================
module                   job
=======================  ==================================================================================
``config``               ``TrainingConfig`` (how a network is trained; the CLI's defaults and help texts),
                         ``check_layout``, ``choose_encoding_and_network``
``split``                ``Split``, ``split_replicates``, ``stratified_split``
``encode``               ``encode_data`` (replicates as images), ``encode_genotypes``
``fit``                  ``fit_network`` (one network, early stopping), ``train_ensemble``
``calibrate``            temperature scaling: ``calibrate``, ``calibrate_logits``, ``calibrate_bundle``
``evaluate``             ``evaluate`` (a bundle on a folder), ``evaluate_network``, ``evaluation_pictures``
``train``                ``train``: split, encode, fit, calibrate, evaluate, write ``model.npz``
``outputs``              ``network_output``, ``model_outputs``, ``summarise``: what a bundle outputs
``predict``              ``predict_vcf``, ``predict_genotypes``, ``write_prediction_table``
``example_vcf``          ``write_example_vcf`` (the demo's data set)
``folders``              ``prepare_output_folder``
=======================  ==================================================================================

The bundle itself (a trained model and what it needs to be used) is ``genomics.bundle``, a layer below.
The names below are the pipeline's public interface (the command line imports them from here). Each stage
that reads files has two forms: one over paths (``evaluate``, ``calibrate_bundle``, ``predict_vcf``,
``predict_genotypes``, ``check_vcf_polarisation``), a thin wrapper that reads the bundle and the simulation
folder once each, and one over loaded objects (``evaluate_simulations``, ``recalibrated``,
``predict_vcf_windows``, ``predict_data_sets``, ``check_polarisation``), for a caller such as
``genomics demo`` that reads them once and passes them on.
"""

from genomics.bundle import Bundle, bundle_design
from genomics.pipeline.calibrate import calibrate_bundle, recalibrated
from genomics.pipeline.config import TrainingConfig, check_layout, choose_encoding_and_network
from genomics.pipeline.encode import encode_data, encode_genotypes
from genomics.pipeline.evaluate import evaluate, evaluate_simulations, evaluation_pictures
from genomics.pipeline.example_vcf import write_example_vcf
from genomics.pipeline.folders import prepare_output_folder
from genomics.pipeline.predict import (
    check_polarisation,
    check_vcf_polarisation,
    predict_data_sets,
    predict_genotypes,
    predict_vcf,
    predict_vcf_windows,
    write_prediction_table,
)
from genomics.pipeline.split import Split, split_replicates
from genomics.pipeline.train import train

__all__ = [
    "Bundle", "Split", "TrainingConfig", "bundle_design", "calibrate_bundle", "check_layout", "check_polarisation",
    "check_vcf_polarisation", "choose_encoding_and_network", "encode_data", "encode_genotypes", "evaluate",
    "evaluate_simulations", "evaluation_pictures", "predict_data_sets", "predict_genotypes", "predict_vcf",
    "predict_vcf_windows", "prepare_output_folder", "recalibrated", "split_replicates", "train", "write_example_vcf",
    "write_prediction_table",
]

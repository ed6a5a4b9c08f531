"""The stages wired together: train, evaluate, calibrate and predict over a simulation folder and a bundle
(``workflow``). The names the command line uses are re-exported here (``genomics.pipeline.train``).
"""

from genomics.pipeline.workflow import (  # noqa: F401  (re-exported)
    TrainingConfig, bundle_design, calibrate_bundle, check_layout, check_vcf_polarisation, evaluate,
    evaluation_pictures, predict_genotypes, predict_vcf, prepare_output_folder, split_replicates, train,
    write_example_vcf, write_prediction_table)

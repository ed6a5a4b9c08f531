"""The stages wired together: train, evaluate, calibrate and predict over a simulation folder and a bundle
(``workflow``).
"""

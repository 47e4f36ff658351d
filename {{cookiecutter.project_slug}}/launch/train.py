"""A small training entry point, run by W&B Launch (or offline by run_launch_job as a subprocess).

Trains a logistic regression on the bundled wine data, logs the metrics to a W&B run (offline when no
server is configured) and exits non-zero when the accuracy is below --min-accuracy.
"""

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regularization", type=float, default=1.0)
    parser.add_argument("--min-accuracy", type=float, default=0.8)
    args = parser.parse_args(argv)

    import wandb
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = load_wine(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, random_state=0, stratify=labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.regularization, max_iter=1000))
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    with wandb.init(job_type="train", config=vars(args)) as run:
        run.log({"accuracy": accuracy})
    print(f"accuracy={accuracy:.4f}")
    return 0 if accuracy >= args.min_accuracy else 1


if __name__ == "__main__":
    sys.exit(main())

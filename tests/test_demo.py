from minidl.demo import main


def test_the_readme_demo_learns_the_spirals(capsys):
    accuracy = main(epochs=300)
    assert accuracy > 0.9
    assert "epoch  300" in capsys.readouterr().out

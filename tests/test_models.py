"""The autoencoders: shapes, range, and that they can learn at all."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from conftest import seeded

from dae import ConvDAE, LinearDAE, UNetDAE, corrupt, load_model, save_model
from dae.checkpoint import MODELS as CHECKPOINT_MODELS
from dae.models import DigitClassifier, UNet, count_parameters

MODELS = [LinearDAE, ConvDAE, UNetDAE]


@pytest.mark.parametrize("build", MODELS)
def test_output_shape_and_range(build, digits):
    model = build().eval()
    with torch.no_grad():
        out = model(digits[:16])
    assert out.shape == (16, 1, 28, 28)
    assert out.min() >= 0 and out.max() <= 1


def test_linear_model_has_only_fully_connected_layers():
    kinds = {type(m) for m in LinearDAE().modules()}
    assert torch.nn.Linear in kinds
    assert not any(issubclass(k, torch.nn.modules.conv._ConvNd) for k in kinds)


def test_conv_model_passes_everything_through_its_code(digits):
    model = ConvDAE().eval()
    with torch.no_grad():
        code = model.encode(digits[:2])
        assert code.shape == (2, 16, 14, 14)
        # no skip connections: the decoder sees only the code, so swapping codes swaps the outputs
        swapped = model.decoder(code.flip(0))
        assert torch.allclose(swapped, model.logits(digits[:2]).flip(0), atol=1e-5)


def test_sizes_are_keyword_arguments():
    small = ConvDAE(channels=(8, 16, 32), blocks=1, code_channels=4)
    assert count_parameters(small) < count_parameters(ConvDAE())
    assert small.config == {"channels": [8, 16, 32], "blocks": [1, 1, 1], "code_channels": 4}
    assert small.encode(torch.zeros(1, 1, 28, 28)).shape == (1, 4, 7, 7)  # two halvings
    assert LinearDAE(hidden=(64,), bottleneck=16).config["hidden"] == [64]


# Training on 32 fixed noisy digits must cut the error at least tenfold: a
# model that cannot memorise a tiny batch has a bug, not a capacity problem.
OVERFIT_FACTOR = 10


@pytest.mark.parametrize(
    "build,steps",
    [
        (LinearDAE, 150),
        (lambda: ConvDAE(channels=(16, 32, 64), blocks=(1, 1, 1)), 150),
        (lambda: UNetDAE(channels=(16, 32)), 150),
    ],
)
def test_each_model_overfits_a_tiny_batch(build, steps, train_digits):
    torch.manual_seed(0)
    model = build()
    clean = train_digits[:32]
    noisy = corrupt(clean, "gaussian", 0.3, generator=seeded(0))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def error() -> float:
        model.eval()
        with torch.no_grad():
            value = F.mse_loss(model(noisy), clean).item()
        model.train()
        return value

    before = error()
    for _ in range(steps):
        loss = F.binary_cross_entropy_with_logits(model.logits(noisy), clean)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = error()
    assert after < before / OVERFIT_FACTOR, f"MSE went from {before:.4f} to {after:.4f}"


def test_the_inference_form_gives_the_same_outputs(digits):
    from dae.lab import inference_form

    for model in (ConvDAE(), UNetDAE(channels=(8, 16)), LinearDAE()):
        torch.manual_seed(0)
        model.train()
        with torch.no_grad():  # a few batches move BatchNorm's running statistics away from their defaults
            for _ in range(3):
                model(digits[:64])
        model.eval()
        fast = inference_form(model)
        if isinstance(model, LinearDAE):
            assert fast is not model and not fast.training  # no convolutions: a copy in eval mode, nothing folded
        else:
            assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fast.modules())
        with torch.no_grad():
            expected = model(digits[:8])
            assert torch.allclose(fast(digits[:8].contiguous(memory_format=torch.channels_last)), expected, atol=1e-5)
            # bf16 weights, fed bf16: close to float32 still
            half = inference_form(model, dtype=torch.bfloat16)
            assert next(half.parameters()).dtype == torch.bfloat16
            out = half(digits[:8].to(torch.bfloat16).contiguous(memory_format=torch.channels_last)).float()
            assert (out - expected).abs().max() < 0.03
        assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) != isinstance(model, LinearDAE)


def test_conv_blocks_need_one_entry_per_scale():
    with pytest.raises(ValueError, match="one entry per scale"):
        ConvDAE(channels=(8, 16), blocks=(1, 1, 1))


def test_the_fused_form_gives_the_same_outputs_and_falls_back(digits, monkeypatch):
    from dae.lab import fused_form, inference_form

    torch.manual_seed(0)
    for model in (ConvDAE().eval(), DigitClassifier().eval()):
        eager = inference_form(model)
        fused = fused_form(model, batches=(1, 3))
        assert isinstance(fused, torch.jit.ScriptModule)
        with torch.no_grad():
            for n in (1, 3, 2):  # 2: a batch size it was not warmed up at
                x = digits[:n].contiguous(memory_format=torch.channels_last)
                assert torch.allclose(fused(x), eager(x), atol=1e-4), n

    def no_torchscript(*args, **kwargs):
        raise RuntimeError("TorchScript is not available")

    trace = torch.jit.trace

    class Shifted(torch.nn.Module):  # a fused graph that runs, but computes something else
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x) + 1.0

    def wrong_answers(module, example):
        return trace(Shifted(module).eval(), example)

    for broken in (no_torchscript, wrong_answers):
        monkeypatch.setattr(torch.jit, "trace", broken)
        fallback = fused_form(ConvDAE().eval())
        assert not isinstance(fallback, torch.jit.ScriptModule), broken.__name__
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fallback.modules())  # still the folded form
    monkeypatch.setattr(torch.jit, "trace", trace)
    assert isinstance(fused_form(ConvDAE().eval()), torch.jit.ScriptModule)  # and with the real one, fused


@pytest.mark.parametrize("merge", ["concat", "add"])
def test_the_unet_carries_its_encoder_maps_across_and_can_be_run_without_them(digits, merge):
    torch.manual_seed(0)
    model = UNetDAE(channels=(8, 16, 24), merge=merge).eval()
    with torch.no_grad():
        out, alone = model(digits[:4]), model.without_skips(digits[:4])
        assert out.shape == alone.shape == (4, 1, 28, 28) and not torch.allclose(out, alone)
        assert torch.allclose(alone, torch.sigmoid(model.logits(digits[:4], skips=False)))
    assert model.config == {"channels": [8, 16, 24], "blocks": 1, "merge": merge}
    assert (model.merge is None) == (merge == "add")  # concat mixes the two with a 1x1 conv per scale


def test_a_unet_names_the_merges_it_knows():
    with pytest.raises(ValueError, match='"add" or "concat"'):
        UNetDAE(merge="sum")


def test_a_unet_checkpoint_round_trips(tmp_path, digits):
    torch.manual_seed(0)
    model = UNetDAE(channels=(8, 16)).eval()
    save_model(model, tmp_path / "unet", epochs=1)
    again = load_model(tmp_path / "unet")
    assert isinstance(again, UNetDAE) and again.config == model.config
    with torch.no_grad():
        assert torch.equal(again(digits[:4]), model(digits[:4]))


def test_a_noise_conditioned_unet_answers_differently_at_each_level(digits):
    torch.manual_seed(0)
    model = UNet(channels=(8, 16), noise_embedding=16).eval()
    with torch.no_grad():
        low = model.logits(digits[:2], torch.tensor([0.1, 0.1]).log())
        high = model.logits(digits[:2], torch.tensor([5.0, 5.0]).log())
    assert low.shape == (2, 1, 28, 28) and not torch.allclose(low, high)


@pytest.mark.parametrize("name", sorted(CHECKPOINT_MODELS))
def test_every_model_rebuilt_from_its_config_is_the_same_network(name):
    # arguments other than the defaults, so a forgotten one shows: the rebuilt network would differ
    built = {
        "LinearDAE": dict(hidden=(48, 32), bottleneck=8, dropout=0.1, image_size=28),
        "ConvDAE": dict(channels=(8, 12, 16), blocks=(0, 1, 2), code_channels=4),
        "UNetDAE": dict(channels=(8, 12), blocks=2, merge="add"),
        "DigitClassifier": dict(channels=(8, 12), hidden=24, dropout=0.2, temperature=1.5),
        "DigitGenerator": dict(channels=(8, 12), blocks=2, noise_embedding=8, classes=10, label_dropout=0.2),
    }
    assert set(built) == set(CHECKPOINT_MODELS)  # a new model class gets a row here
    model = CHECKPOINT_MODELS[name](**built[name])
    again = CHECKPOINT_MODELS[name](**model.config)
    assert again.config == model.config
    shapes = {key: value.shape for key, value in model.state_dict().items()}
    assert {key: value.shape for key, value in again.state_dict().items()} == shapes
    for argument in built[name]:  # every argument it was built with is in the record
        assert argument in model.config


def test_a_parent_model_records_nothing_over_its_child():
    # UNetDAE calls UNet's __init__: the record is UNetDAE's own arguments, and the U-Net inside a generator has its own
    assert set(UNetDAE().config) == {"channels", "blocks", "merge"}
    from dae.generation import DigitGenerator

    generator = DigitGenerator(channels=(8, 16), noise_embedding=8)
    assert generator.net.config["noise_embedding"] == 8 and "label_dropout" not in generator.net.config

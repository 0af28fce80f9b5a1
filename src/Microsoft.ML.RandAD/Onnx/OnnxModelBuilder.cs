using System.Globalization;
using System.Reflection;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx.Proto;
using Microsoft.ML.RandAD.Tensors;
using DataType = Microsoft.ML.RandAD.Onnx.Proto.TensorProto.Types.DataType;

namespace Microsoft.ML.RandAD.Onnx;

/// <summary>Builds the whole <see cref="ModelProto"/>: input, the layers in order, the task's outputs, and the metadata.</summary>
internal static class OnnxModelBuilder
{
    /// <summary>The producer name written into every model.</summary>
    public const string ProducerName = "Microsoft.ML.RandAD";

    /// <summary>Prefix of the metadata keys the exporter writes.</summary>
    public const string MetadataPrefix = "randad.";

    // Protobuf messages are limited to 2 GB; weights beyond that would need ONNX external data, not written here.
    private const long MaximumParameterBytes = 1_900_000_000;

    public static ModelProto Build(Network network, OnnxExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new OnnxExportOptions();
        OnnxTask task = ResolveTask(network, options);
        Validate(network, options);

        var g = new OnnxGraphBuilder();
        g.Claim(options.InputName);
        IReadOnlyList<string> outputs = OnnxTaskHeads.OutputNames(task, options.LabelValues);
        foreach (string output in outputs)
        {
            g.Claim(output);
        }

        int d = network.InputSize;
        g.Input(options.InputName, DataType.Float, InputDoc(network.Spec.Input), options.SingleRow ? [d] : [OnnxGraphBuilder.Batch, d]);
        GraphTensor x = Prelude(g, network, options);

        IReadOnlyList<Layer> layers = network.Layers;
        ReadOnlySpan<ParameterBlock> blocks = network.Blocks;
        int offset = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            int count = layers[i].Parameters.Count;
            x = LayerExporters.Export(g, layers[i], blocks.Slice(offset, count), x, LayerExporters.Prefix(layers, i));
            offset += count;
        }

        OnnxTaskHeads.Add(g, x, task, options.SingleRow, options.LabelValues);
        g.Graph.Name = options.ModelName ?? "randad_network";
        g.Graph.DocString = $"RandAD {task.ToString().ToLowerInvariant()} network{(options.SingleRow ? " (single row)" : string.Empty)}.";

        var model = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = ProducerName,
            ProducerVersion = ProducerVersion(),
            ModelVersion = options.ModelVersion,
            DocString = options.DocString ?? network.Describe(),
            Graph = g.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = options.Opset });
        if (options.LabelValues is not null)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = "ai.onnx.ml", Version = OnnxLabelValues.MlOpset });
        }
        AddMetadata(model, network, options, task, outputs);
        return model;
    }

    /// <summary>The IR version released with the opset (ONNX's versioning table), so older runtimes accept the file.</summary>
    internal static long IrVersionFor(int opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    internal static string ProducerVersion()
    {
        Assembly assembly = typeof(OnnxModelBuilder).Assembly;
        return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString()
            ?? "0.0.0";
    }

    internal static OnnxTask ResolveTask(Network network, OnnxExportOptions options)
    {
        OnnxTask task = options.Task ?? network.Spec.Loss.Kind switch
        {
            LossKind.SoftmaxCrossEntropy => OnnxTask.Multiclass,
            LossKind.BinaryCrossEntropy => OnnxTask.Binary,
            _ => OnnxTask.Regression,
        };
        if (!Enum.IsDefined(task))
        {
            throw new ArgumentException($"Unknown ONNX task {task}.", nameof(options));
        }

        int k = network.OutputSize;
        if (task == OnnxTask.Multiclass && k < 2)
        {
            throw new ArgumentException($"A multiclass export needs at least 2 network outputs; this network has {k}.", nameof(options));
        }

        if (task == OnnxTask.Multiclass && options.LabelValues is { } labels && labels.Count != k)
        {
            throw new ArgumentException($"{labels.Count} label values were given for a network with {k} classes.", nameof(options));
        }

        if (task == OnnxTask.Binary && k != 1)
        {
            throw new ArgumentException($"A binary export needs exactly 1 network output (the logit); this network has {k}.", nameof(options));
        }

        return task;
    }

    private static void Validate(Network network, OnnxExportOptions options)
    {
        if (options.Opset is < OnnxExportOptions.MinimumOpset or > OnnxExportOptions.MaximumOpset)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset, $"Opset must be between {OnnxExportOptions.MinimumOpset} and {OnnxExportOptions.MaximumOpset}.");
        }

        if (string.IsNullOrWhiteSpace(options.InputName))
        {
            throw new ArgumentException("The ONNX input name must not be empty.", nameof(options));
        }

        if (4L * network.Parameters.Length > MaximumParameterBytes)
        {
            throw new NotSupportedException($"The network has {4L * network.Parameters.Length:N0} bytes of parameters; a single ONNX file holds at most about 2 GB (external data is not written).");
        }

        foreach (string key in options.Metadata?.Keys ?? Enumerable.Empty<string>())
        {
            if (key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Metadata key '{key}': keys starting with '{MetadataPrefix}' are written by the exporter.", nameof(options));
            }
        }
    }

    /// <summary>Single row: [D] → [1, D]. Images: the planar vector → [N, C, H, W]. Vectors and sequences stay [N, D].</summary>
    private static GraphTensor Prelude(OnnxGraphBuilder g, Network network, OnnxExportOptions options)
    {
        string name = options.InputName;
        if (options.SingleRow)
        {
            name = g.Add("Unsqueeze", "input_row", [name, g.Int64s(0)]);
        }

        TensorShape shape = network.Layers[0].InputShape;
        InputSpec input = network.Spec.Input;
        if (input.Kind != TensorKind.Image)
        {
            return new GraphTensor(name, shape, OnnxLayout.Flat);
        }

        string nchw = g.Add("Reshape", "input_nchw", [name, g.Int64s(-1, input.Channels, input.Height, input.Width)]);
        return new GraphTensor(nchw, shape, OnnxLayout.Nchw);
    }

    private static string InputDoc(InputSpec input) => input.Kind switch
    {
        TensorKind.Image => $"{input.Size} floats per row: a {input.Channels}×{input.Height}×{input.Width} image, planar (all of channel 0, then channel 1, …; ML.NET ExtractPixels order).",
        TensorKind.Sequence => $"{input.Size} floats per row: {input.Height} steps of {input.Width} features, step-major.",
        _ => $"{input.Size} floats per row: the feature vector.",
    };

    private static void AddMetadata(ModelProto model, Network network, OnnxExportOptions options, OnnxTask task, IReadOnlyList<string> outputs)
    {
        void Add(string key, string value) => model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

        Add(MetadataPrefix + "spec", network.Spec.ToJson());
        Add(MetadataPrefix + "task", task.ToString());
        Add(MetadataPrefix + "loss", network.LossName);
        Add(MetadataPrefix + "input", network.Spec.Input.ToString());
        Add(MetadataPrefix + "outputs", string.Join(',', outputs));
        Add(MetadataPrefix + "single_row", options.SingleRow ? "true" : "false");
        Add(MetadataPrefix + "parameters", network.Parameters.Length.ToString(CultureInfo.InvariantCulture));
        Add(MetadataPrefix + "training_steps", network.StepCount.ToString(CultureInfo.InvariantCulture));
        foreach (KeyValuePair<string, string> entry in options.Metadata ?? new Dictionary<string, string>())
        {
            Add(entry.Key, entry.Value);
        }
    }
}

using Microsoft.ML;

// Usage: RandAD.LoadCheck <model.zip> <input.idv> <scored.idv>
// Loads the model with a fresh MLContext, scores the input (ML.NET binary format) and writes the scored rows.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: RandAD.LoadCheck <model.zip> <input.idv> <scored.idv>");
    return 2;
}

var ml = new MLContext(seed: 0);
ITransformer model = ml.Model.Load(args[0], out DataViewSchema _);
IDataView input = ml.Data.LoadFromBinary(args[1]);
IDataView scored = model.Transform(input);
using (FileStream output = File.Create(args[2]))
{
    ml.Data.SaveAsBinary(scored, output, keepHidden: false);
}

Console.WriteLine($"scored {scored.GetRowCount() ?? -1} rows; columns: {string.Join(", ", scored.Schema.Where(c => !c.IsHidden).Select(c => c.Name))}");
return 0;
